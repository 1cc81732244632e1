/**
 * The hand-written softmax exp(z) / sum(exp(z), -1, keepdims) is recognised as softmax (stable
 * for rows like [1000, 0]), and the tutorials' NLL -mean(log(softmax(z))[arange(y.shape[0]), y])
 * compiles to the same fused cross-entropy as categoricalCrossentropy, forward and backward.
 */
import { describe, expect, it } from 'vitest';
import { T, fn, grad, shared, array, NDArray, random } from 'theanode';
import type { Variable } from 'theanode';
import { nativeStatus } from '../../lib/backend/native/index.js';

const backends = nativeStatus().available ? (['js', 'native'] as const) : (['js'] as const);
const opcodes = (f: { program: { instructions: { opcode: string; attrs: Record<string, unknown> }[] } }) =>
  f.program.instructions.flatMap((i) => [i.opcode, ...((i.attrs.inner as { opcode: string }[] | undefined) ?? []).map((x) => x.opcode)]);

function firstMismatch(a: ArrayLike<number>, b: ArrayLike<number>, rtol: number): string | null {
  if (a.length !== b.length) return `length ${a.length} vs ${b.length}`;
  for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i] - b[i]) <= rtol * (1e-300 + Math.abs(b[i])))) return `[${i}]: ${a[i]} vs ${b[i]}`;
  return null;
}

describe('hand-written softmax', () => {
  const forms: [string, (z: Variable) => Variable][] = [
    ['sum(exp(z), 1, keepdims)', (z) => T.exp(z).div(T.sum(T.exp(z), 1, true))],
    ['exp(z).sum({ axis: -1, keepdims })', (z) => z.exp().div(z.exp().sum({ axis: -1, keepdims: true }))],
    ["sum(exp(z), 1).dimshuffle(0, 'x')", (z) => z.exp().div(z.exp().sum(1).dimshuffle(0, 'x'))],
  ];
  for (const [label, form] of forms) {
    for (const backend of backends) {
      it(`${label} becomes softmax: rows like [1000, 0] give [1, 0] (${backend})`, () => {
        const z = T.matrix('z');
        const f = fn([z], form(z), { backend });
        expect(opcodes(f)).toContain('softmax');
        const out = f(array([[1000, 0], [0, -1000], [1, 2]]));
        const ref = fn([z], T.nnet.softmax(z), { backend })(array([[1000, 0], [0, -1000], [1, 2]]));
        expect(Array.from(out.data).slice(0, 4)).toEqual([1, 0, 1, 0]);
        expect(firstMismatch(out.data, ref.data, 1e-15)).toBeNull();
      });
    }
  }

  it('its gradient is softmax’s, finite for large logits', () => {
    const z = T.matrix('z');
    const w = T.matrix('w');
    const cost = z.exp().div(z.exp().sum(1, true)).mul(w).sum();
    const g = fn([z, w], grad(cost, z), { backend: 'js' });
    const ref = fn([z, w], grad(T.nnet.softmax(z).mul(w).sum(), z), { backend: 'js' });
    const Z = array([[800, 0, 3], [1, 2, 3]]);
    const W = array([[0.3, -1, 2], [1, 0.5, -0.25]]);
    const got = g(Z, W);
    expect(Array.from(got.data).every(Number.isFinite)).toBe(true);
    expect(firstMismatch(got.data, ref(Z, W).data, 1e-12)).toBeNull();
  });

  it('is left alone when the sum runs over another axis or another exp', () => {
    const z = T.matrix('z');
    const u = T.matrix('u');
    expect(opcodes(fn([z], z.exp().div(z.exp().sum(0, true)), { backend: 'js' }))).not.toContain('softmax');
    const other = fn([z, u], z.exp().div(u.exp().sum(1, true)), { backend: 'js' });
    expect(opcodes(other)).not.toContain('softmax');
    const out = other(array([[0, 1]]), array([[1, 1]]));
    expect(firstMismatch(out.data, [1 / (2 * Math.E), 1 / 2], 1e-15)).toBeNull();
  });
});

describe("the tutorials' negative log-likelihood", () => {
  function models() {
    const rng = new random.RandomState(3);
    const W = shared(rng.randn(5, 4) as NDArray, 'W');
    const x = T.matrix('x');
    const y = T.ivector('y');
    const p = T.nnet.softmax(x.dot(W));
    const nll = T.neg(T.mean(T.log(p).get(T.arange(y.shape.get(0)), y)));
    const cce = T.mean(T.nnet.categoricalCrossentropy(p, y));
    return { W, x, y, nll, cce };
  }

  for (const backend of backends) {
    it(`compiles to the fused cross-entropy, as categoricalCrossentropy does, with the same values and gradients (${backend})`, () => {
      const { W, x, y, nll, cce } = models();
      const fNll = fn([x, y], [nll, grad(nll, W)], { backend });
      const fCce = fn([x, y], [cce, grad(cce, W)], { backend });
      expect(opcodes(fNll)).toContain('xent_softmax');
      expect(opcodes(fNll)).toContain('xent_softmax_grad');
      expect(opcodes(fNll)).not.toContain('index_update');
      expect(fNll.program.instructions.length).toBe(fCce.program.instructions.length);
      const rng = new random.RandomState(4);
      const X = rng.randn(6, 5) as NDArray;
      const Y = array([0, 3, 2, 1, 3, 0], { dtype: 'int32' });
      const a = fNll(X, Y);
      const b = fCce(X, Y);
      a.forEach((r, i) => expect(firstMismatch(r.data, b[i].data, 1e-13), `output ${i}`).toBeNull());
      // By hand: mean over rows of logsumexp(z_r) - z_r[y_r].
      const Z = fn([x], x.dot(W), { backend })(X);
      let ref = 0;
      for (let r = 0; r < 6; r++) {
        const row = Array.from(Z.data.slice(r * 4, r * 4 + 4));
        const m = Math.max(...row);
        ref += m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0)) - row[Y.data[r]];
      }
      expect(Math.abs(a[0].item() - ref / 6)).toBeLessThan(1e-12);
    });
  }

  it('fuses with a hand-written softmax too', () => {
    const z = T.matrix('z');
    const y = T.ivector('y');
    const p = z.exp().div(z.exp().sum(1, true));
    const nll = T.log(p).get(T.arange(y.shape.get(0)), y).mean().neg();
    const f = fn([z, y], [nll, grad(nll, z)], { backend: 'js' });
    expect(opcodes(f)).toContain('xent_softmax');
    expect(opcodes(f)).not.toContain('index');
    const [v, g] = f(array([[1000, 0], [0, 2]]), array([1, 1], { dtype: 'int32' }));
    // Row 0: logsumexp = 1000, so -log p[0, 1] = 1000; row 1: log(1 + e^-2).
    expect(Math.abs(v.item() - (1000 + Math.log1p(Math.exp(-2))) / 2)).toBeLessThan(1e-12);
    expect(Array.from(g.data).every(Number.isFinite)).toBe(true);
  });

  it('needs one label per row, as the indexing it replaces picks one row per label', () => {
    const { x, y, nll } = models();
    const f = fn([x, y], nll, { backend: 'js' });
    expect(() => f(new NDArray(new Float64Array(15), [3, 5]), array([1, 2], { dtype: 'int32' }))).toThrow(/2 labels for 3 rows/);
  });
});
