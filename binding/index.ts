/**
 * Loads the native addon, or says why it cannot. Looks where node-gyp-build looks: build/Release
 * (a source build, which wins), then prebuilds/ for this platform. Before the addon (and so OpenBLAS) loads, picks
 * OPENBLAS_CORETYPE from the CPU's flags when the user has not set it: Debian's OpenBLAS 0.3.21
 * misdetects recent Intel CPUs as Prescott and would run its slow SSE3 kernels.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeAddon {
  Executor: new (program: object, plan: string) => {
    run(inputs: unknown[], shared: unknown[], outputs: unknown[], updates: unknown[]): void;
    runAsync(inputs: unknown[], shared: unknown[], outputs: unknown[], updates: unknown[]): Promise<void>;
    free(): void;
  };
  info(): { corename: string; config: string; threads: number; cores?: number; products?: 'avx512' | 'openblas'; pool?: PoolStats };
  /** The opcodes and scalar ops the build implements (absent in builds older than this check). */
  tables?(): { opcodes: string[]; scalarOps: string[] };
  setThreads(n: number): void;
  /** dst's rows = src's rows order[start..end), rows of rowLength elements (native/src/rows.cc; absent in older builds). */
  gatherRows?(src: ArrayBufferView, rowLength: number, order: Int32Array, start: number, end: number, dst: ArrayBufferView): void;
}

/** The thread pool's counts since the start (native/src/pool.h). */
export interface PoolStats {
  /** Jobs run on several threads. */
  parallel: number;
  /** Jobs run on their caller alone because parallel work had been losing time, or no core was free. */
  paused: number;
  /** Jobs whose caller waited for a chunk far longer than chunks take. */
  stalls: number;
  /** Times parallel jobs had lost more than they saved (each pauses parallel work a while). */
  losses: number;
  /** Jobs whose worker woke on the caller's core and left the job to it (each pauses parallel work briefly). */
  crowded?: number;
}

export interface LoadResult {
  addon: NativeAddon | null;
  /** Why the addon could not be loaded (every place tried, and what to do). */
  reason?: string;
  /** The OPENBLAS_CORETYPE chosen here, when the user had not set one. */
  coretype?: string;
  /** The package directory the addon was looked for in. */
  root: string;
  /** True when the environment turned the addon off (THEANODE_NO_NATIVE): a choice, not a failure. */
  disabled?: boolean;
}

/** Whether THEANODE_NO_NATIVE turns the addon off: only `1` and `true` do, so `0` or `false` keep it. */
export function nativeDisabledBy(value: string | undefined): boolean {
  return value !== undefined && /^(1|true)$/i.test(value.trim());
}

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if (JSON.parse(readFileSync(pj, 'utf8')).name === 'theanode') return dir;
      } catch {
        // An unreadable package.json is not ours; keep looking upwards.
      }
    }
    dir = dirname(dir);
  }
  return dirname(dirname(fileURLToPath(import.meta.url)));
}

/** The OpenBLAS core type for this CPU, from /proc/cpuinfo's flags (x86-64 Linux only). */
export function coretypeFromCpuinfo(cpuinfo: string): string | undefined {
  const flags = /^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1].split(/\s+/) ?? [];
  if (flags.includes('avx512f')) return 'SkylakeX';
  if (flags.includes('avx2')) return 'Haswell';
  return undefined;
}

function chooseCoretype(): string | undefined {
  if (process.env.OPENBLAS_CORETYPE || process.platform !== 'linux' || process.arch !== 'x64') return undefined;
  try {
    const t = coretypeFromCpuinfo(readFileSync('/proc/cpuinfo', 'utf8'));
    if (t) process.env.OPENBLAS_CORETYPE = t;
    return t;
  } catch {
    return undefined;
  }
}

/**
 * The load error, with what to do about it. `root` is the package directory, so the advice can
 * name the build script by its path (inside node_modules, `npm run` scripts are not at hand).
 */
export function explainLoadError(message: string, root?: string): string {
  if (/libopenblas/.test(message)) {
    return `${message}\nThe OpenBLAS library is missing: install it (Debian/Ubuntu: apt-get install libopenblas0, or libopenblas-dev to build).`;
  }
  if (/No native build was found/.test(message)) {
    const script = root ? `node ${join(root, 'native/build.mjs')}` : 'npm run build:native';
    return `${message}\nNo prebuilt addon fits this platform and none was built at install. Build it with \`${script}\` (needs cmake, a C++17 compiler and OpenBLAS with its headers: Debian/Ubuntu apt-get install cmake g++ libopenblas-dev, macOS brew install cmake openblas).`;
  }
  return message;
}

let cached: LoadResult | undefined;

export function loadAddon(): LoadResult {
  if (cached) return cached;
  const root = packageRoot();
  if (nativeDisabledBy(process.env.THEANODE_NO_NATIVE)) {
    return (cached = { addon: null, reason: `turned off by THEANODE_NO_NATIVE=${process.env.THEANODE_NO_NATIVE}`, root, disabled: true });
  }
  const coretype = chooseCoretype();
  const require = createRequire(import.meta.url);
  try {
    // THEANODE_ADDON_PATH names one addon file to load instead (e.g. the sanitizer build).
    const explicit = process.env.THEANODE_ADDON_PATH;
    const gypBuild = require('node-gyp-build') as (dir: string) => NativeAddon;
    const addon = explicit ? (require(explicit) as NativeAddon) : gypBuild(root);
    cached = { addon, coretype, root };
  } catch (e) {
    cached = { addon: null, reason: explainLoadError((e as Error).message, root), coretype, root };
  }
  return cached;
}
