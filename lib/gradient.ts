/**
 * gradient.verifyGrad: compare grad() with central finite differences, like theano.gradient.verify_grad.
 * @module
 */
import { Variable } from './graph/variable.js';
import { NDArray, array } from './ndarray/ndarray.js';
import { tensor } from './tensor/variables.js';
import { grad } from './grad.js';
import { fn } from './compile/function.js';
import type { BackendName } from './config.js';
import { applyElemwise as ew } from './ops/elemwise.js';
import { reduce } from './ops/reduce.js';
import { RandomState } from './random/index.js';

export { Lop, Rop, jacobian, hessian } from './derivatives.js';
export type { JacobianOptions } from './derivatives.js';

/** Options of {@link verifyGrad}: step size, tolerances and the random projection's seed. */
export interface VerifyGradOptions {
  /** Finite-difference step; default 1e-7 for float64, 1e-3 for float32. */
  eps?: number;
  absTol?: number;
  relTol?: number;
  /** Seed for the random projection that turns non-scalar outputs into a scalar cost. */
  seed?: number;
  backend?: BackendName;
}

/**
 * `f` builds a graph from symbolic inputs shaped like `points`; the check projects its output on
 * a random tensor (so every output element counts), then compares the symbolic gradient with
 * central differences at `points`. Throws with the worst element when they disagree.
  * @example gradient.verifyGrad((x) => T.nnet.softmax(x).max(1).sum(), [new random.RandomState(0).randn(3, 4)]);
 */
export function verifyGrad(f: (...xs: Variable[]) => Variable, points: readonly NDArray[], opts: VerifyGradOptions = {}): void {
  const pts = points.map((p) => (p instanceof NDArray ? p : array(p as never)));
  // Length-1 axes are broadcastable, as a constant of that shape would be.
  const vars = pts.map((p, i) => tensor(p.dtype, p.shape.map((d) => d === 1), `x${i}`));
  const out = f(...vars);
  const f32 = pts.some((p) => p.dtype === 'float32') || out.dtype === 'float32';
  const eps = opts.eps ?? (f32 ? 1e-3 : 1e-7);
  const absTol = opts.absTol ?? (f32 ? 1e-2 : 1e-4);
  const relTol = opts.relTol ?? (f32 ? 1e-2 : 1e-4);
  const backend = opts.backend ?? 'js';

  // A random projection of the output: cost = sum(out * r).
  const probe = fn(vars, out, { backend, onUnusedInput: 'ignore' });
  const outVal = probe(...pts);
  const rng = new RandomState(opts.seed ?? 42);
  const r = array(rng.rand(Math.max(outVal.size, 1)) as NDArray, { dtype: out.dtype }).data.slice(0, outVal.size);
  const rConst = new NDArray(r, outVal.shape, out.dtype);
  const cost = reduce('sum', ew('mul', [out, rConst]));
  const costFn = fn(vars, cost, { backend, onUnusedInput: 'ignore' });
  const grads = grad(cost, vars, { disconnectedInputs: 'ignore' });
  const gradFn = fn(vars, grads, { backend, onUnusedInput: 'ignore' });
  const analytic = gradFn(...pts);

  pts.forEach((p, i) => {
    for (let k = 0; k < p.size; k++) {
      const plus = pts.map((q) => q.copy());
      const minus = pts.map((q) => q.copy());
      plus[i].data[k] += eps;
      minus[i].data[k] -= eps;
      const num = (costFn(...plus).data[0] - costFn(...minus).data[0]) / (2 * eps);
      const ana = analytic[i].data[k];
      const err = Math.abs(num - ana);
      if (err > absTol && err > relTol * Math.max(Math.abs(num), Math.abs(ana))) {
        throw new Error(`verifyGrad: gradient of input ${i} at flat index ${k}: symbolic ${ana}, finite differences ${num} (abs error ${err.toExponential(3)})`);
      }
    }
  });
}
