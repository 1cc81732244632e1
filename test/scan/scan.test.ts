/**
 * scan against PyTorch loops (fixtures from gen_scan.py): values and gradients (taps,
 * goBackwards, truncateGradient, several outputs, nSteps-only loops, a scan in a scan's step) on
 * both backends.
 */
import { describe, it } from 'vitest';
import fixture from '../fixtures/scan.json';
import { T, fn, grad, scan, NDArray } from 'theanode';
import type { Variable } from 'theanode';
import { expectClose } from '../ops/close.js';
import type { Arr } from '../ops/close.js';

type Case = { inputs: Arr[]; outputs: Arr[]; grads: Arr[] };
const fx = fixture as unknown as Record<string, Case>;
import { backends } from './backends.js';
const toArray = (a: Arr) => new NDArray(Float64Array.from(a.data), a.shape);
const vars = (arrs: Arr[]) => arrs.map((a, i) => T.tensor('float64', a.shape.map(() => false), `x${i}`));
const one = (o: Variable | Variable[]) => (Array.isArray(o) ? o : [o]);

/** The fixture's cost (sum of squares of every output) and its gradients, on each backend. */
function check(name: string, build: (xs: Variable[]) => Variable[]) {
  const c = fx[name];
  for (const backend of backends) {
    it(`${name} (${backend})`, () => {
      const xs = vars(c.inputs);
      const outs = build(xs);
      const cost = outs.map((o) => o.mul(o).sum()).reduce((a, b) => a.add(b));
      const gs = grad(cost, xs, { disconnectedInputs: 'ignore' });
      const results = fn(xs, [...outs, ...gs], { backend })(...c.inputs.map(toArray));
      outs.forEach((_, i) => expectClose(results[i], c.outputs[i], `${name} output ${i}`, 1e-10));
      gs.forEach((_, i) => expectClose(results[outs.length + i], c.grads[i], `${name} gradient ${i}`, 1e-9));
    });
  }
}

describe('scan against PyTorch loops', () => {
  check('taps', ([x, W, y0]) =>
    one(
      scan((xm: Variable, xc: Variable, xp: Variable, y2: Variable, y1: Variable, w: Variable) => T.tanh(y1.mul(0.5).sub(y2.mul(0.3)).add(xm.dot(w)).add(xc).add(xp.mul(0.2))), {
        sequences: { input: x, taps: [-1, 0, 1] },
        outputsInfo: { initial: y0, taps: [-2, -1] },
        nonSequences: W,
      })[0],
    ),
  );
  const rnn = (x: Variable, W: Variable, U: Variable, h0: Variable, opts: object) => one(scan((xt: Variable, h: Variable) => T.tanh(xt.dot(W).add(h.dot(U))), { sequences: x, outputsInfo: h0, ...opts })[0]);
  check('backwards', ([x, W, U, h0]) => rnn(x, W, U, h0, { goBackwards: true }));
  check('truncated', ([x, W, U, h0]) => rnn(x, W, U, h0, { truncateGradient: 2 }));
  check('two_outputs', ([x, W, U, V, h0]) =>
    one(
      scan(
        (xt: Variable, h: Variable) => {
          const hn = T.tanh(xt.dot(W).add(h.dot(U)));
          return [hn, T.nnet.sigmoid(hn.dot(V))];
        },
        { sequences: x, outputsInfo: [h0, null] },
      )[0],
    ),
  );
  check('power', ([A, v0]) => one(scan((v: Variable) => T.tanh(A.dot(v)), { outputsInfo: v0, nSteps: 5 })[0]));
  check('nested', ([X, c]) =>
    one(
      scan(
        (row: Variable, s: Variable) => {
          const [inner] = scan((xj: Variable, acc: Variable) => acc.mul(c).add(xj), { sequences: row, outputsInfo: s });
          const all = inner as Variable;
          return [all.get(-1), all];
        },
        { sequences: X, outputsInfo: [T.zerosLike(c), null] },
      )[0],
    ).slice(1),
  );
});
