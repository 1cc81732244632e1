/**
 * Atomic file writes: write a temporary file beside the target, then rename it over. A process
 * killed mid-write leaves its temporary file behind; the next save into the same directory
 * removes those of processes that no longer run.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** `.<target>.<pid>.<ms>.tmp`: the pid says whose file it is, the time when it was started. */
const TEMP_NAME = /^\..+\.(\d+)\.(\d+)\.tmp$/;
const startedAt = Date.now() - process.uptime() * 1000;

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it runs, under another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove temporary files in `dir` left by dead processes (or by this pid before it was ours). */
export function removeStaleTemps(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    const stale = pid === process.pid ? Number(m[2]) < startedAt - 1000 : !processIsAlive(pid);
    if (!stale) continue;
    try {
      unlinkSync(join(dir, name));
      removed.push(name);
    } catch {
      // Another process may have removed it first.
    }
  }
  return removed;
}

export function writeFileAtomic(path: string, chunks: readonly Uint8Array[]): void {
  const dir = dirname(path);
  removeStaleTemps(dir);
  // Writes are synchronous and end with a rename, so one process never reuses a live name.
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx');
    for (const c of chunks) {
      let off = 0;
      while (off < c.length) off += writeSync(fd, c, off, c.length - off);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // The temporary file may never have been created.
    }
    throw new Error(`could not write ${path}: ${(e as Error).message}`);
  }
}
