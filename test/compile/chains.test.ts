/**
 * Chains computed in their output's storage: a gradient assembled from slices (a fill, then an
 * increment per slice) or a run of elementwise ops that ends in an output writes the output's
 * storage from its first step, so the last step copies nothing into it. A step joins only when
 * nothing reads its input afterwards; the results are the same with and without the chain.
 */
import { describe, expect, it } from 'vitest';
import { T, fn, grad, scan, shared, array, NDArray, random } from 'theanode';
import type { Variable } from 'theanode';
import type { Attrs, Plan, Program } from '../../lib/compile/program.js';
import { programFromAttrs } from '../../lib/compile/program_json.js';
import { nativeStatus } from '../../lib/backend/native/index.js';

const backends = nativeStatus().available ? (['js', 'native'] as const) : (['js'] as const);
const root = (plan: Plan, b: number) => (plan.alias[b] >= 0 ? plan.alias[b] : b);
const updatesOf = (p: Program) => p.instructions.filter((ins) => ins.opcode === 'index_update');
const close = (got: ArrayLike<number>, want: number[], tol = 1e-14) => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(Math.abs(got[i] - w), `element ${i}: ${got[i]} vs ${w}`).toBeLessThanOrEqual(tol * (1 + Math.abs(w))));
};

/** cost = sum(exp(x[0:2])) + sum(x[2:4]^2) + sum(sin(x[4:6])): its gradient is three slices of zeros, incremented. */
function slicedCost() {
  const x = T.vector('x');
  const cost = T.exp(x.get(T.slice(0, 2))).sum().add(x.get(T.slice(2, 4)).sqr().sum()).add(T.sin(x.get(T.slice(4, 6))).sum());
  return { x, cost };
}
const X = [0.3, -1.2, 0.7, 2.5, -0.4, 1.9];
const slicedGrad = [Math.exp(X[0]), Math.exp(X[1]), 2 * X[2], 2 * X[3], Math.cos(X[4]), Math.cos(X[5])];

describe('chains into outputs', () => {
  for (const backend of backends) {
    it(`${backend}: a gradient of slices is filled and incremented in the output itself`, () => {
      const { x, cost } = slicedCost();
      const f = fn([x], grad(cost, x), { backend });
      close(f(array(X)).data, slicedGrad);
      const plan = f.lastPlan!;
      const out = f.program.outputs[0];
      const incs = updatesOf(f.program);
      expect(incs.length).toBe(3);
      // Every increment and the fill they start from live in the output's storage.
      for (const ins of incs) {
        expect(root(plan, ins.outputs[0])).toBe(out);
        expect(root(plan, ins.inputs[0])).toBe(out);
      }
      // A second call (the output array is new, the chain writes it from its first step) agrees.
      close(f(array(X.map((v) => v / 2))).data, [Math.exp(X[0] / 2), Math.exp(X[1] / 2), X[2], X[3], Math.cos(X[4] / 2), Math.cos(X[5] / 2)]);
    });

    it(`${backend}: a step whose input is read again afterwards does not join the chain`, () => {
      const x = T.vector('x');
      const base = T.exp(x);
      // `base` is read by the increment and, after it, by the second output.
      const inc = T.incSubtensor(base, [T.slice(1, 3)], 10);
      const after = base.mul(2);
      const f = fn([x], [inc, after], { backend });
      const [a, b] = f(array([0, 1, 2, 3]));
      close(a.data, [1, Math.E + 10, Math.exp(2) + 10, Math.exp(3)]);
      close(b.data, [2, 2 * Math.E, 2 * Math.exp(2), 2 * Math.exp(3)]);
      const [ins] = updatesOf(f.program);
      expect(root(f.lastPlan!, ins.inputs[0])).not.toBe(f.program.outputs[0]);
    });

    it(`${backend}: a link that is itself an output keeps its own storage`, () => {
      const x = T.vector('x');
      const first = T.setSubtensor(T.zerosLike(x), [T.slice(0, 2)], x.get(T.slice(0, 2)).mul(3));
      const second = T.incSubtensor(first, [T.slice(2, 4)], 1);
      const f = fn([x], [second, first], { backend });
      for (let call = 0; call < 2; call++) {
        const [s, fi] = f(array([1, 2, 3, 4]));
        close(s.data, [3, 6, 1, 1]);
        close(fi.data, [3, 6, 0, 0]);
      }
      expect(f.lastPlan!.alias[f.program.outputs[1]]).toBe(-1);
    });

    it(`${backend}: an elementwise run into an output reuses nothing that is still live`, () => {
      // Several temporaries are live while the chain runs; none may share the output's storage.
      const x = T.vector('x');
      const keep = T.sin(x);
      const chain = T.tanh(T.exp(x.mul(0.5)).add(1));
      const f = fn([x], [chain.add(keep.mul(keep)), keep.sqr().add(chain)], { backend });
      const v = [0.1, -0.5, 1.5];
      const [a, b] = f(array(v));
      const c = v.map((t) => Math.tanh(Math.exp(t * 0.5) + 1));
      close(a.data, c.map((ci, i) => ci + Math.sin(v[i]) ** 2), 1e-13);
      close(b.data, c.map((ci, i) => Math.sin(v[i]) ** 2 + ci), 1e-13);
    });
  }

  it('native and js agree on a scan whose gradient assembles gate slices in each step', () => {
    // An LSTM-like step: four gate slices of one pre-activation, so each backward step fills a
    // (4H, batch) gradient and increments its four slices, written into the loop's output row.
    const H = 3, B = 2, S = 4;
    const u0 = new random.RandomState(5).uniform(-0.5, 0.5, [4 * H, H]) as NDArray;
    const run = (backend: 'js' | 'native') => {
      const U = shared(u0, 'U');
      const seq = T.tensor3('seq');
      const gate = (z: Variable, k: number) => z.get(T.slice(k * H, (k + 1) * H));
      const step = (px: Variable, h: Variable, c: Variable, u: Variable) => {
        const z = px.add(u.dot(h));
        const c1 = T.nnet.sigmoid(gate(z, 1)).mul(c).add(T.nnet.sigmoid(gate(z, 0)).mul(T.tanh(gate(z, 2))));
        return [T.nnet.sigmoid(gate(z, 3)).mul(T.tanh(c1)), c1];
      };
      const zeros = T.zeros([H, B]);
      const [outs] = scan(step, { sequences: seq, outputsInfo: [zeros, zeros], nonSequences: U });
      const cost = (outs as Variable[])[0].sqr().sum();
      const f = fn([seq], [cost, ...grad(cost, [seq, U])], { backend });
      return { f };
    };
    const input = new random.RandomState(6).randn(S, 4 * H, B) as NDArray;
    const js = run('js');
    const ref = js.f(input);
    // The chain is planned inside the backward loop's body.
    const backward = js.f.program.instructions.map((ins, k) => [ins, k] as const).filter(([ins]) => ins.opcode === 'loop' && ins.attrs.reverse === true);
    expect(backward.length).toBe(1);
    const body = programFromAttrs(backward[0][0].attrs.body as Attrs);
    const bodyPlan = (js.f.lastPlan!.decisions[backward[0][1]] as unknown as { plan: Plan }).plan;
    const incs = updatesOf(body);
    expect(incs.length).toBe(4);
    for (const ins of incs) expect(body.outputs).toContain(root(bodyPlan, ins.outputs[0]));
    // Against central differences of the cost in a few input entries.
    const eps = 1e-6;
    for (const i of [0, 7, 20, 40]) {
      const plus = new NDArray(Float64Array.from(input.data), input.shape);
      const minus = new NDArray(Float64Array.from(input.data), input.shape);
      plus.data[i] += eps;
      minus.data[i] -= eps;
      const fd = (js.f(plus)[0].data[0] - js.f(minus)[0].data[0]) / (2 * eps);
      expect(Math.abs(ref[1].data[i] - fd)).toBeLessThanOrEqual(1e-7 * (1 + Math.abs(fd)));
    }
    if (backends.length < 2) return;
    const nat = run('native').f(input);
    nat.forEach((r, k) => close(r.data, Array.from(ref[k].data), 1e-12));
  });
});
