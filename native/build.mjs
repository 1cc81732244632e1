// Builds the addon with cmake-js (Release, into build/). Uses the Node headers installed with
// Node (/usr/include/node) when npm does not name a nodedir, so no header download is needed.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = dirname(dirname(fileURLToPath(import.meta.url)));

export function build() {
  const env = { ...process.env };
  const local = join(dirname(dirname(process.execPath)), 'include/node/node_api.h');
  if (!env.npm_config_nodedir && existsSync(local)) env.npm_config_nodedir = dirname(dirname(dirname(local)));
  execFileSync(process.execPath, [join(root, 'node_modules/cmake-js/bin/cmake-js'), 'compile', '--out', 'build'], { cwd: root, stdio: 'inherit', env });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) build();
