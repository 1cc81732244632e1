/**
 * Launching driver scripts under mpirun from the tests, asynchronously (the test runner's event
 * loop stays free) and with a timeout that turns a hang into a failure. Open MPI refuses root
 * without --allow-run-as-root, and more ranks than cores without --oversubscribe.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const root = resolve(__dirname, '../..');

/** Why the MPI tests cannot run here, or null when they can. */
export function mpiMissing(): string | null {
  if (spawnSync('mpirun', ['--version'], { stdio: 'ignore' }).status !== 0) return 'mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev)';
  if (!existsSync(resolve(root, 'build/Release/theanode_mpi.node'))) return 'build/Release/theanode_mpi.node is not built (npm run build:native with libopenmpi-dev installed)';
  return null;
}

export interface MpiResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The JSON lines the ranks printed, by rank. */
  ranks: Record<string, unknown>[];
}

/** The flags every launch here needs: as root, and more ranks than this machine's cores. */
export const localFlags = ['--allow-run-as-root', '--oversubscribe'];

/** `mpirun <flags> -np <np> node <script> <args>`; never rejects. */
export function mpirun(np: number, script: string, args: string[], opts: { timeoutMs: number; flags?: string[]; command?: string[] }): Promise<MpiResult> {
  return new Promise((done) => {
    const command = opts.command ?? ['mpirun', ...(opts.flags ?? localFlags), '-np', String(np), process.execPath, script, ...args];
    const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '', stderr = '', timedOut = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      // The whole group: mpirun and the ranks it started.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, opts.timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const ranks: Record<string, unknown>[] = [];
      for (const line of stdout.split('\n')) {
        if (!line.startsWith('{')) continue;
        const o = JSON.parse(line) as Record<string, unknown>;
        ranks[o.rank as number] = o;
      }
      done({ code, stdout, stderr, timedOut, ranks });
    });
  });
}

/** What went wrong, for an assertion message. */
export function describeRun(r: MpiResult): string {
  return `${r.timedOut ? 'timed out' : `exit code ${r.code}`}\n${(r.stderr + r.stdout).trim().split('\n').slice(-20).join('\n')}`;
}
