/**
 * Random loops: sequences and states with random taps, non-recurrent outputs, a matrix
 * non-sequence, goBackwards and truncateGradient drawn at random; the scan's outputs and the
 * gradients of a cost over all of them equal those of the same step unrolled by hand (with
 * Theano's truncation: steps before the last k pass no gradient), on both backends. Seeded
 * (THEANODE_FUZZ_SEED moves the run, THEANODE_FUZZ_SCAN_CASES sets how many); each case is its
 * own test, so no test holds the event loop for long.
 */
import { describe, expect, it } from 'vitest';
import { T, fn, grad, scan, NDArray } from 'theanode';
import type { Variable } from 'theanode';
import { Rng, baseSeed } from './random.js';
import { backends } from '../scan/backends.js';

const CASES = Number(process.env.THEANODE_FUZZ_SCAN_CASES ?? 80);

interface LoopCase {
  text: string;
  inputs: Variable[];
  values: NDArray[];
  loop: Variable[];
  unrolled: Variable[];
  /** Outputs of steps before the truncation window: constants for the unrolled gradient. */
  cut: Variable[];
}

const randomArray = (r: Rng, shape: number[]) => new NDArray(Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.normal() * 0.6), shape);
const tapsFrom = (r: Rng, pool: number[]) => {
  const t = pool.filter(() => r.chance(0.45));
  return t.length ? t : [r.pick(pool)];
};

function makeCase(seed: number): LoopCase {
  const r = new Rng(seed);
  const width = r.int(1, 3);
  const S = r.int(0, 2);
  const R = r.int(1, 2);
  const M = r.int(0, 1);
  const backwards = r.chance(0.3);
  const seqTaps = Array.from({ length: S }, () => tapsFrom(r, [-2, -1, 0, 1, 2]));
  const recTaps = Array.from({ length: R }, () => tapsFrom(r, [-3, -2, -1]));
  const span = (t: number[]) => Math.max(...t) - Math.min(...t);
  const n = r.int(0, 5);
  // Sequences longer than the steps need only when the step count is given.
  const givenN = S === 0 || r.chance(0.4);
  const inputs: Variable[] = [];
  const values: NDArray[] = [];
  const add = (v: Variable, value: NDArray) => (inputs.push(v), values.push(value), v);
  const seqs = seqTaps.map((t, i) => add(T.matrix(`s${i}`), randomArray(r, [n + span(t) + (givenN ? r.int(0, 1) : 0), width])));
  const inits = recTaps.map((t, j) => add(T.matrix(`y${j}`), randomArray(r, [Math.max(...t.map((x) => -x)), width])));
  const W = add(T.matrix('W'), randomArray(r, [width, width]));
  const truncate = r.chance(0.3) ? r.int(1, 4) : -1;
  // Coefficients of the step: each output mixes a few of the step's arguments.
  const nArgs = seqTaps.flat().length + recTaps.flat().length;
  const mixes = Array.from({ length: R + M }, () => Array.from({ length: nArgs }, () => (r.chance(0.6) ? Number((r.normal() * 0.7).toFixed(2)) : 0)));
  const useDot = Array.from({ length: R + M }, () => r.chance(0.5));
  const step = (...args: Variable[]) =>
    mixes.map((mix, k) => {
      let acc: Variable = T.zerosLike(args[nArgs - 1]);
      mix.forEach((c, a) => c && (acc = acc.add(args[a].mul(c))));
      const pre = useDot[k] ? acc.add(args[nArgs - 1].dot(W)) : acc;
      return k < R ? T.tanh(pre) : T.nnet.sigmoid(pre);
    });

  const [out] = scan(step, {
    sequences: seqs.map((s, i) => ({ input: s, taps: seqTaps[i] })),
    // Theano's rule: with taps [-1] the initial value is the state itself, else its first rows.
    outputsInfo: [...inits.map((y, j) => ({ initial: recTaps[j].length === 1 && recTaps[j][0] === -1 ? y.get(0) : y, taps: recTaps[j] })), ...Array.from({ length: M }, () => null)],
    nSteps: givenN ? n : undefined,
    goBackwards: backwards,
    truncateGradient: truncate,
  });
  const loop = Array.isArray(out) ? out : [out];

  // The same loop by hand.
  const ordered = seqs.map((s) => (backwards ? s.get(T.slice(null, null, -1)) : s));
  const history: Variable[][] = inits.map((y, j) => Array.from({ length: values[S + j].shape[0] }, (_, k) => y.get(k)));
  const steps: Variable[][] = Array.from({ length: R + M }, () => []);
  const cut: Variable[] = [];
  for (let t = 0; t < n; t++) {
    const args: Variable[] = [];
    seqTaps.forEach((taps, i) => taps.forEach((tap) => args.push(ordered[i].get(t + tap - Math.min(...taps)))));
    recTaps.forEach((taps, j) => taps.forEach((tap) => args.push(history[j][history[j].length + tap])));
    const outs = step(...args);
    outs.forEach((o, k) => {
      steps[k].push(o);
      if (k < R) history[k].push(o);
      if (truncate >= 0 && t < n - truncate) cut.push(o);
    });
  }
  const unrolled = steps.map((rows, k) => (rows.length ? T.stack(rows, 0) : loop[k].get(T.slice(0, 0))));
  const text = `seed ${seed}: width ${width}, n ${n}, seqTaps ${JSON.stringify(seqTaps)}, recTaps ${JSON.stringify(recTaps)}, nitsot ${M}, backwards ${backwards}, truncate ${truncate}, dot ${JSON.stringify(useDot)}`;
  return { text, inputs, values, loop, unrolled, cut };
}

function expectClose(a: NDArray, b: NDArray, label: string) {
  expect(a.shape, label).toEqual(b.shape);
  const bad = Array.from(a.data).findIndex((v, i) => !(Math.abs(v - b.data[i]) <= 1e-9 * (1 + Math.abs(b.data[i]))));
  expect(bad, `${label}[${bad}]: ${a.data[bad]} vs ${b.data[bad]}`).toBe(-1);
}

describe('fuzz: random loops equal their unrolled steps', () => {
  const first = baseSeed() * 100_000;
  for (let c = 0; c < CASES; c++) {
    const seed = first + c;
    it(`case ${seed}`, () => {
      const k = makeCase(seed);
      const cost = (outs: Variable[]) => outs.map((o) => o.mul(o).sum()).reduce((a, b) => a.add(b));
      const gLoop = grad(cost(k.loop), k.inputs, { disconnectedInputs: 'ignore' });
      const gUnrolled = grad(cost(k.unrolled), k.inputs, { disconnectedInputs: 'ignore', considerConstant: k.cut });
      const want = fn(k.inputs, [...k.unrolled, ...gUnrolled], { backend: 'js', onUnusedInput: 'ignore' })(...k.values);
      for (const backend of backends) {
        const got = fn(k.inputs, [...k.loop, ...gLoop], { backend, onUnusedInput: 'ignore' })(...k.values);
        got.forEach((g, i) => expectClose(g, want[i], `${k.text}, ${backend}, ${i < k.loop.length ? `output ${i}` : `gradient of ${k.inputs[i - k.loop.length].name}`}`));
      }
    });
  }
});
