/**
 * The native `reduce` kernel alone: microseconds per call of a compiled function that is one
 * reduction of its input, for sum, mean and max over the last axis, the leading axis, all axes
 * and a middle or non-contiguous set of axes, float32 and float64. The row (1,) gives the cost
 * of a call around the kernel. For A/B runs of two builds, set THEANODE_ADDON_PATH.
 *
 *   node dist/bench/reduce.js [FILTER]   # FILTER: a substring of the row label, e.g. float32
 *
 *   THREADS=n   setBlasThreads(n) (default 1)     MS=n  timed milliseconds per round (default 300)
 *   ROUNDS=n    rounds, the median is printed (default 5)
 */
import { T, fn, random, NDArray, setBlasThreads } from 'theanode';

const THREADS = Number(process.env.THREADS ?? 1);
const MS = Number(process.env.MS ?? 300);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const filter = process.argv[2] ?? '';

type Op = 'sum' | 'mean' | 'max';
interface Case {
  shape: number[];
  axis: number | number[] | null;
  keepdims?: boolean;
}
const CASES: Case[] = [
  { shape: [1], axis: null },
  { shape: [512, 3584], axis: 1, keepdims: true }, // the LSTM step's row sums
  { shape: [512, 3584], axis: 0 },
  { shape: [512, 3584], axis: null },
  { shape: [3584, 512], axis: 1 },
  { shape: [3584, 512], axis: 0 },
  { shape: [128, 10], axis: 1 },
  { shape: [128, 10], axis: 0, keepdims: true },
  { shape: [1e6], axis: null },
  { shape: [28, 512, 128], axis: 1 },
  { shape: [28, 512, 128], axis: [0, 2] },
];

function reduction(op: Op, x: ReturnType<typeof T.tensor>, c: Case) {
  const axis = c.axis ?? undefined;
  return op === 'sum' ? T.sum(x, axis, c.keepdims) : op === 'mean' ? T.mean(x, axis, c.keepdims) : T.max(x, axis, c.keepdims);
}

/** Median microseconds per call over ROUNDS rounds of at least MS milliseconds each. */
function time(call: () => void): number {
  const warm = performance.now() + 100;
  while (performance.now() < warm) call();
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < MS) {
      call();
      n++;
      t = performance.now();
    }
    rounds.push(((t - t0) * 1000) / n);
  }
  rounds.sort((a, b) => a - b);
  return rounds[ROUNDS >> 1];
}

setBlasThreads(THREADS);
const rng = new random.RandomState(0);
console.log(`reduce kernel, native backend, ${THREADS} thread(s), median of ${ROUNDS} rounds of ${MS} ms`);
console.log(['case'.padEnd(44), 'us/call'.padStart(10), 'GB/s'.padStart(7)].join(' '));
for (const dtype of ['float32', 'float64'] as const) {
  for (const c of CASES) {
    const size = c.shape.reduce((a, b) => a * b, 1);
    const data = (rng.randn(size) as NDArray).astype(dtype);
    const X = new NDArray(data.data, c.shape, dtype);
    for (const op of ['sum', 'mean', 'max'] as Op[]) {
      const label = `${op} ${dtype} (${c.shape}) axis=${c.axis === null ? 'all' : c.axis}${c.keepdims ? ' keepdims' : ''}`;
      if (!label.includes(filter)) continue;
      const x = T.tensor(dtype, c.shape.map(() => false), 'x');
      const f = fn([x], reduction(op, x, c), { backend: 'native' });
      const opcodes = f.program.instructions.map((i) => i.opcode).join(',');
      if (opcodes !== 'reduce') throw new Error(`${label}: expected one reduce instruction, got ${opcodes}`);
      const us = time(() => void f(X));
      const gbs = (size * (dtype === 'float32' ? 4 : 8)) / (us * 1e3);
      console.log([label.padEnd(44), us.toFixed(1).padStart(10), gbs.toFixed(2).padStart(7)].join(' '));
    }
  }
}
