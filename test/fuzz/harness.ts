/**
 * Running a driver script in child processes, so that a native crash or a hang is a test
 * failure with its seed rather than a dead test runner. The driver (TypeScript, importing
 * lib/ directly) is bundled once with esbuild, which vite already brings, into a directory
 * under node_modules/.cache so that the addon is found from the package root as usual.
 */
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');

/** Bundle `entry` (a path relative to the repository root) into a runnable .mjs file. */
export async function bundleDriver(entry: string): Promise<string> {
  const base = join(root, 'node_modules/.cache');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, 'theanode-driver-'));
  const outfile = join(dir, 'driver.mjs');
  await build({
    entryPoints: [join(root, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
    // Bundled CommonJS helpers need `require` in an ES module.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return outfile;
}

/** Remove a bundle made by bundleDriver (call it in afterAll). */
export function removeDriver(driver: string): void {
  if (driver) rmSync(dirname(driver), { recursive: true, force: true });
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Run `node script ...args`, killing it after `timeoutMs`; never rejects. */
export function runChild(script: string, args: string[], opts: { timeoutMs: number; env?: NodeJS.ProcessEnv; maxOldSpaceMb?: number }): Promise<ChildResult> {
  return new Promise((done) => {
    const nodeArgs = opts.maxOldSpaceMb ? [`--max-old-space-size=${opts.maxOldSpaceMb}`] : [];
    const child = spawn(process.execPath, [...nodeArgs, script, ...args], { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** A one-line account of a child that did not end well, for the assertion message. */
export function describeChild(r: ChildResult, what: string): string {
  const how = r.timedOut ? 'timed out' : r.signal ? `was killed by ${r.signal}` : `exited with code ${r.code}`;
  const tail = (r.stderr + r.stdout).trim().split('\n').slice(-15).join('\n');
  return `${what} ${how}\n${tail}`;
}

export interface FamilyResult {
  /** The drivers' summary lines, one per chunk. */
  summaries: Record<string, number | boolean>[];
  /** Failure lines (JSON, each with its seed) and crashes (with the seed that was running). */
  problems: string[];
}

/**
 * Run `cases` seeds from `first` through the driver in chunks, two children at a time. A child
 * that crashes, hangs or ends without its summary is a problem naming the seed it was on.
 */
export async function runFamily(driver: string, opts: { first: number; cases: number; chunk: number; args?: string[]; timeoutMs: number; env?: NodeJS.ProcessEnv; maxOldSpaceMb?: number }): Promise<FamilyResult> {
  const chunks: [number, number][] = [];
  for (let s = opts.first; s < opts.first + opts.cases; s += opts.chunk) chunks.push([s, Math.min(opts.chunk, opts.first + opts.cases - s)]);
  const result: FamilyResult = { summaries: [], problems: [] };
  const runOne = async ([from, n]: [number, number]) => {
    const r = await runChild(driver, [String(from), String(n), ...(opts.args ?? [])], { timeoutMs: opts.timeoutMs, env: opts.env, maxOldSpaceMb: opts.maxOldSpaceMb });
    const lines = r.stdout.split('\n');
    for (const l of lines) if (l.startsWith('failure ')) result.problems.push(l.slice(8));
    const summary = lines.find((l) => l.startsWith('summary '));
    if (summary) result.summaries.push(JSON.parse(summary.slice(8)));
    if (r.code !== 0 || !summary) {
      const last = lines.filter((l) => l.startsWith('start ')).pop()?.slice(6) ?? String(from);
      result.problems.push(describeChild(r, `seeds ${from}..${from + n - 1}: the child running seed ${last}`));
    }
  };
  const queue = [...chunks];
  const worker = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) await runOne(c);
  };
  await Promise.all([worker(), worker()]);
  return result;
}

/** The summaries' numeric fields added up. */
export function totals(summaries: Record<string, number | boolean>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of summaries) for (const [k, v] of Object.entries(s)) if (typeof v === 'number') out[k] = k === 'maxRssMb' ? Math.max(out[k] ?? 0, v) : (out[k] ?? 0) + v;
  return out;
}
