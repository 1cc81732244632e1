/**
 * What the gradient of a scan reuses from the forward loop: the step's product (here the gemm
 * x_t + h U, batched states) is kept per step and the states the step wrote are read back, so
 * the backward step computes only the two products of the gradient (h^T g into the running sum,
 * g U^T), and the sequences it no longer reads are not passed to it; an LSTM step (gate slices,
 * two states) too. Values against finite differences; debugprint shows the loop bodies.
 */
import { describe, expect, it } from 'vitest';
import { T, fn, grad, scan, gradient, random, printing } from 'theanode';
import type { Variable, NDArray } from 'theanode';
import type { Attrs, Program } from '../../lib/compile/program.js';
import { programFromAttrs } from '../../lib/compile/program_json.js';
import { nativeStatus } from '../../lib/backend/native/index.js';

const backends = nativeStatus().available ? (['js', 'native'] as const) : (['js'] as const);

const loops = (p: Program) => p.instructions.filter((ins) => ins.opcode === 'loop');
const products = (body: Program) => body.instructions.filter((ins) => ins.opcode === 'dot' || ins.opcode === 'gemm').length;

describe('scan gradient with kept products', () => {
  const rnn = (x: Variable, U: Variable, h0: Variable) => scan((xt: Variable, h: Variable) => T.tanh(xt.add(h.dot(U))), { sequences: x, outputsInfo: h0 })[0] as Variable;

  it('the backward step does not recompute the forward product nor read x', () => {
    const x = T.tensor3('x'), U = T.matrix('U'), h0 = T.matrix('h0');
    const cost = rnn(x, U, h0).sum();
    const f = fn([x, U, h0], grad(cost, [x, U]), { backend: 'js' });
    const [forward, backward] = loops(f.program).map((ins) => programFromAttrs(ins.attrs.body as Attrs));
    expect(products(forward)).toBe(1);
    expect(products(backward)).toBe(2);
    // The backward loop's sequences: the states the forward read and wrote, and the state's gradient (not x;
    // nor the kept product, which tanh's gradient does not need once the new state is read).
    const attrs = loops(f.program)[1].attrs;
    expect((attrs.seqTaps as number[][]).length).toBe(3);
  });

  for (const backend of backends) {
    it(`gradients match finite differences (${backend})`, () => {
      const rng = new random.RandomState(3);
      const points = [rng.randn(5, 2, 3), rng.uniform(-0.5, 0.5, [3, 3]), rng.randn(2, 3)] as NDArray[];
      gradient.verifyGrad((x: Variable, U: Variable, h0: Variable) => rnn(x, U, h0), points, { seed: 1, backend });
    });
  }
});

describe('an LSTM step (gate slices of one gemm, two states) through the kept products and the reverse loop', () => {
  const H = 2;
  const lstm = (px: Variable, U: Variable, h0: Variable, c0: Variable) => {
    const gate = (z: Variable, k: number) => z.get(T.slice(k * H, (k + 1) * H));
    const [outs] = scan(
      (p: Variable, h: Variable, c: Variable) => {
        const z = p.add(U.dot(h));
        const c1 = T.nnet.sigmoid(gate(z, 1)).mul(c).add(T.nnet.sigmoid(gate(z, 0)).mul(T.tanh(gate(z, 2))));
        return [T.nnet.sigmoid(gate(z, 3)).mul(T.tanh(c1)), c1];
      },
      { sequences: px, outputsInfo: [h0, c0] },
    );
    const [hs, cs] = outs as Variable[];
    return hs.get(-1).add(cs.mul(0.5).sum(0));
  };
  for (const backend of backends) {
    it(`gradients match finite differences (${backend})`, () => {
      const rng = new random.RandomState(5);
      const points = [rng.randn(4, 4 * H, 3), rng.uniform(-0.7, 0.7, [4 * H, H]), rng.randn(H, 3), rng.randn(H, 3)] as NDArray[];
      gradient.verifyGrad(lstm, points, { seed: 2, backend });
    });
  }
});

describe('debugprint of a function with a scan', () => {
  it("lists each loop's body under the loop, with the step's gemm and fused elementwise kernel", () => {
    const x = T.tensor3('x'), U = T.matrix('U'), h0 = T.matrix('h0');
    const hs = scan((xt: Variable, h: Variable) => T.tanh(xt.add(h.dot(U))), { sequences: x, outputsInfo: h0, name: 'rnn' })[0] as Variable;
    const f = fn([x, U, h0], hs.get(-1), { backend: 'js' });
    const rng = new random.RandomState(0);
    f(rng.randn(4, 2, 3) as NDArray, rng.randn(3, 3) as NDArray, rng.randn(2, 3) as NDArray);
    const text = printing.debugprint(f);
    // Only the last state is read: the loop keeps that row alone.
    expect(text).toMatch(/#\d+ loop 'rnn' -> \(1, 2, 3\)/);
    expect(text).toMatch(/\n {6}#0 gemm\{alpha=1,beta=1\} -> \(2, 3\)\n {6}#1 elemwise\{tanh\} -> \(2, 3\)/);
  });
});
