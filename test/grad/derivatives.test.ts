/** Lop, Rop, jacobian and hessian against hand-derived values and against each other, both backends. */
import { describe, expect, it } from 'vitest';
import { T, fn, shared, gradient, array, NDArray, random } from 'theanode';
import { nativeStatus } from '../../lib/backend/native/index.js';

const backends = nativeStatus().available ? (['js', 'native'] as const) : (['js'] as const);

function close(a: ArrayLike<number>, b: ArrayLike<number>, label: string, rtol = 1e-12) {
  expect(a.length, label).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i] - b[i]) <= rtol * (1 + Math.abs(b[i])))) expect.fail(`${label}[${i}]: ${a[i]} vs ${b[i]}`);
}

const rng = new random.RandomState(9);
const Wv = rng.randn(3, 4) as NDArray;
const xv = rng.randn(4) as NDArray;
const vv = rng.randn(4) as NDArray;
const uv = rng.randn(3) as NDArray;

/** y = tanh(W x): J = diag(1 - y^2) W, by hand. */
function jacobianByHand(): number[] {
  const J: number[] = [];
  for (let i = 0; i < 3; i++) {
    let z = 0;
    for (let j = 0; j < 4; j++) z += Wv.data[i * 4 + j] * xv.data[j];
    const d = 1 - Math.tanh(z) ** 2;
    for (let j = 0; j < 4; j++) J.push(d * Wv.data[i * 4 + j]);
  }
  return J;
}

describe('Rop, Lop, jacobian, hessian', () => {
  for (const backend of backends) {
    it(`jacobian, Rop and Lop of tanh(W x) equal the hand-derived J, J v and u^T J (${backend})`, () => {
      const W = shared(Wv, 'W');
      const x = T.dvector('x');
      const v = T.dvector('v');
      const u = T.dvector('u');
      const y = T.tanh(W.dot(x));
      const f = fn([x, v, u], [T.jacobian(y, x, { size: 3 }), T.Rop(y, x, v), T.Lop(y, x, u)], { backend });
      const [J, Jv, uJ] = f(xv, vv, uv);
      const ref = jacobianByHand();
      expect(J.shape).toEqual([3, 4]);
      close(J.data, ref, 'J');
      close(Jv.data, [0, 1, 2].map((i) => [0, 1, 2, 3].reduce((s, j) => s + ref[i * 4 + j] * vv.data[j], 0)), 'Jv');
      close(uJ.data, [0, 1, 2, 3].map((j) => [0, 1, 2].reduce((s, i) => s + uv.data[i] * ref[i * 4 + j], 0)), 'uJ');
      // A length other than the declared size is an error at run time, not a truncation.
      const g = fn([x], T.jacobian(x.sqr(), x, { size: 4 }), { backend });
      expect(() => g(array([1, 2, 3]))).toThrow(/reshape/);
    });

    it(`hessian of a quadratic form is A + A^T; of a shared parameter vector without a size (${backend})`, () => {
      const A = array([[2, 1, 0], [3, 4, -1], [0.5, 0, 1]]);
      const x = T.dvector('x');
      const cost = x.dot(T.dot(A, x)).add(x.sum().sqr());
      const H = fn([x], T.hessian(cost, x, { size: 3 }), { backend })(array([0.3, -1, 2]));
      const ref = [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => A.data[i * 3 + j] + A.data[j * 3 + i] + 2));
      close(H.data, ref, 'H');
      const w = shared(array([0.5, -0.25]), 'w');
      const c2 = T.exp(w).sum().add(w.get(0).mul(w.get(1)));
      const H2 = fn([], gradient.hessian(c2, w), { backend })();
      close(H2.data, [Math.exp(0.5), 1, 1, Math.exp(-0.25)], 'H2');
      // Through psi and trigamma: the Hessian of sum(gammaln(u)) is diag(trigamma(u)); trigamma(1) = pi^2/6.
      const u = shared(array([1, 2]), 'u', { dtype: 'float64' });
      const H3 = fn([], T.hessian(T.gammaln(u).sum(), u), { backend })();
      close(H3.data, [Math.PI ** 2 / 6, 0, 0, Math.PI ** 2 / 6 - 1], 'H3', 1e-13);
    });
  }

  it('Rop through products and a softmax equals finite differences of f along v', () => {
    const x = T.dvector('x');
    const v = T.dvector('v');
    const g = (xx: typeof x) => T.nnet.softmax(T.dot(T.outer(xx, xx), xx).dimshuffle('x', 0)).mul(3).sum(0);
    const Jv = fn([x, v], T.Rop(g(x), x, v))(array([0.2, -0.4, 0.9]), array([1, 0.5, -2]));
    const at = (p: number[]) => fn([x], g(x))(array(p)).data;
    const eps = 1e-6;
    const p0 = [0.2, -0.4, 0.9];
    const dir = [1, 0.5, -2];
    const plus = at(p0.map((p, i) => p + eps * dir[i]));
    const minus = at(p0.map((p, i) => p - eps * dir[i]));
    close(Jv.data, Array.from(plus, (pv, i) => (pv - minus[i]) / (2 * eps)), 'Rop', 1e-7);
  });

  it('jacobian and hessian of a length known only at run time loop with scan', () => {
    const x = T.dvector('x');
    const f = fn([x], [T.jacobian(x.sqr(), x), T.hessian(x.pow(3).sum(), x)]);
    for (const p of [[0.5, -2, 3], [1, 2, 3, 4]]) {
      const [J, H] = f(array(p));
      const diag = (k: number) => p.flatMap((v, i) => p.map((_, j) => (i === j ? k * v : 0)));
      expect(J.shape).toEqual([p.length, p.length]);
      close(J.data, diag(2), 'jacobian', 1e-12);
      close(H.data, diag(6), 'hessian', 1e-12);
    }
  });

  it('errors name what is wrong', () => {
    const x = T.dvector('x');
    expect(() => T.hessian(x.sum(), T.dmatrix('m'))).toThrow(/hessian: wrt 0 \(m\) must be a vector/);
    expect(() => T.Rop(x.sqr(), x, T.dmatrix('v'))).toThrow(/Rop: evaluation point 0 is 2-d/);
    expect(() => T.Lop([x.sqr(), x], x, [x])).toThrow(/Lop: 2 outputs but 1 evaluation points/);
    expect(T.jacobian(x.sum(), x).ndim).toBe(1); // a scalar: its gradient
    const empty = fn([x], T.jacobian(x.get(T.slice(0, 0)), x, { size: 0 }))(array([1, 2]));
    expect(empty.shape).toEqual([0, 2]);
  });
});
