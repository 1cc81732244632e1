/** The seed program's training step (Theano's logistic-regression tutorial), as the benches time it. */
import { T, shared, fn, grad, NDArray } from 'theanode';

/** The compiled `train` of the seed, with w starting at `w0`; called with (X, Y). */
export function seedTrain(w0: NDArray, dtype: 'float64' | 'float32', backend: 'native' | 'js') {
  const x = T.matrix('x', dtype), y = T.vector('y', dtype);
  const w = shared(w0, 'w', { dtype });
  const b = shared(0, 'b', { dtype });
  const p1 = T.div(1, T.add(1, T.exp(T.sub(T.neg(T.dot(x, w)), b))));
  const xent = T.sub(T.mul(T.neg(y), T.log(p1)), T.mul(T.sub(1, y), T.log(T.sub(1, p1))));
  const cost = xent.mean().add(w.pow(2).sum().mul(0.01));
  const [gw, gb] = grad(cost, [w, b]);
  return fn([x, y], [p1.gt(0.5), xent], { updates: [[w, w.sub(gw.mul(0.1))], [b, b.sub(gb.mul(0.1))]], backend });
}
