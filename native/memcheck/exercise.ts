/**
 * Every native kernel family once, small, plus error paths, threads and async calls: the
 * workload for `npm run memcheck` (valgrind memcheck over node). Exits non-zero if a result
 * disagrees with the js backend, so a run that finishes cleanly also checked its values.
 */
import { T, fn, grad, shared, array, NDArray, random, setBlasThreads, updates } from 'theanode';
import type { Variable } from 'theanode';

const rng = new random.RandomState(0);
const f64 = (...shape: number[]) => rng.randn(...(shape as [number])) as NDArray;
const f32 = (...shape: number[]) => f64(...shape).astype('float32');
const labels = (n: number, dt: 'float64' | 'float32') => (rng.randint(0, 2, [n]) as NDArray).astype(dt);
let checked = 0;

function agree(inputs: Variable[], outputs: Variable[], args: (NDArray | number)[], label: string): void {
  const a = fn(inputs, outputs, { backend: 'native', onUnusedInput: 'ignore' })(...args);
  const b = fn(inputs, outputs, { backend: 'js', onUnusedInput: 'ignore' })(...args);
  a.forEach((r, i) => {
    const ref = b[i];
    const tol = r.dtype === 'float32' ? 1e-4 : 1e-9;
    const scale = Math.max(1, ...Array.from(ref.data, (v) => (Number.isFinite(v) ? Math.abs(v) : 0)));
    for (let k = 0; k < r.size; k++) {
      const x = r.data[k], y = ref.data[k];
      if (!(Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)) || Math.abs(x - y) <= tol * scale)) throw new Error(`${label} output ${i}[${k}]: native ${x}, js ${y}`);
    }
  });
  checked++;
}

function expectError(run: () => unknown, label: string): void {
  try {
    run();
  } catch {
    checked++;
    return;
  }
  throw new Error(`${label}: expected an error`);
}

for (const threads of [1, 2]) {
  setBlasThreads(threads);
  for (const dt of ['float64', 'float32'] as const) {
    const g = dt === 'float64' ? f64 : f32;
    const m = T.matrix('m', dt), n = T.matrix('n', dt), v = T.vector('v', dt), s = T.scalar('s', dt);
    // Elementwise: every scalar op, broadcast rows, columns and scalars.
    agree([m, v, s], [m.exp(), m.abs().log(), m.log1p(), m.sqr().sqrt(), m.tanh(), T.nnet.sigmoid(m), T.nnet.softplus(m), T.relu(m), m.add(v.dimshuffle('x', 0)), m.mul(s), m.div(v), T.maximum(m, 0), T.minimum(m, s), T.clip(m, -0.5, 0.5), T.switch(m.gt(0), m, s), m.floor(), m.round(), m.pow(2), m.sign(), m.expm1(), m.ge(v).and(m.lt(1)), m.sub(m.sum(1, true))], [g(6, 5), g(5), 0.5], `elemwise ${dt}`);
    // Reductions, products, gemm, shape ops, softmax.
    agree([m], [m.sum(0), m.mean(1), m.max(0), m.argmax(1), m.min(), m.prod(1)], [g(4, 7)], `reduce ${dt}`);
    agree([m, n, v], [T.dot(m, n), T.dot(m.T, m), T.dot(m, v), T.dot(v, n), T.dot(n.T, v), T.dot(v, v), T.outer(v, v)], [g(40, 30), g(30, 20), g(30)], `dot ${dt}`);
    agree([m, n], [m.reshape([-1]), m.T.flatten(), T.concatenate([m, m], 1), T.stack([m, m]), T.arange(0, 5)], [g(3, 4), g(4, 3)], `shape ${dt}`);
    agree([m], [T.nnet.softmax(m), T.nnet.logSoftmax(m)], [g(5, 6)], `softmax ${dt}`);
    // Special functions, integer division, running sums and products, sort (and its gradient), alloc, eye.
    const k = T.iscalar('k');
    const sortCost = m.sort(1).mul(m).sum().add(m.cumprod(0).sum());
    agree(
      [m, v, k],
      [m.sin(), m.arctanh().isnan(), T.arctan2(m, v), m.erf(), m.erfc(), m.abs().gamma(), m.gammaln(), m.psi(), m.mul(0.5).erfinv(), m.intDiv(v), m.mod(v),
        m.cumsum(1), m.argsort(0), grad(sortCost, m), T.alloc(v, k, v.shape.get(0)), T.alloc(v.dimshuffle(0, 'x'), k, v.shape.get(0), 2), T.eye(k, 4, 1), T.zeros(m.shape)],
      [g(5, 6), g(6), 3],
      `tensor ops ${dt}`,
    );
    // Indexing, and index updates.
    const idx = T.ivector('i');
    agree([m, idx], [m.get(idx), m.get(T.slice(1, 3)), T.incSubtensor(m, [idx], 1), T.setSubtensor(m, [T.slice(0, 2)], 0)], [g(5, 3), array([0, 4, 2], { dtype: 'int32' })], `index ${dt}`);
    // The one-pass kernel and gemm updates, with gradients.
    const x = T.matrix('x', dt), y = T.vector('y', dt);
    const w = shared(g(50), 'w', { dtype: dt }), W = shared(g(50, 3), 'W', { dtype: dt }), b = shared(0, 'b', { dtype: dt });
    const p = T.nnet.sigmoid(x.dot(w).add(b));
    const cost = T.nnet.binaryCrossentropy(p, y).mean().add(x.dot(W).sqr().mean());
    const [gw, gW, gb] = grad(cost, [w, W, b]);
    agree([x, y], [cost, gw, gW, gb], [g(700, 50), labels(700, dt)], `rowpass ${dt}`);
    // Several blocks of rows (their order alternates between calls): two calls, both orders.
    const wide = T.matrix('wide', dt), w120 = shared(g(120), 'w120', { dtype: dt });
    const lr = T.nnet.binaryCrossentropy(T.nnet.sigmoid(wide.dot(w120)), y).mean();
    const lrStep = fn([wide, y], [lr, grad(lr, w120)], { backend: 'native' });
    const Xw = g(3000, 120), Yw = labels(3000, dt);
    const once = lrStep(Xw, Yw)[1].data, twice = lrStep(Xw, Yw)[1].data;
    if (Array.from(once).some((v, i) => v !== twice[i])) throw new Error(`alternating blocks ${dt}: calls differ`);
    agree([wide, y], [lr, grad(lr, w120)], [Xw, Yw], `many blocks ${dt}`);
    const step = fn([x, y], cost, { updates: updates.sgd(cost, [w, W, b], { learningRate: 0.1 }), backend: 'native' });
    step(g(300, 50), labels(300, dt));
    // Dense layers (gemm with bias and relu), the fused softmax cross-entropy, and the matrix
    // form of the one-pass kernel (softmax regression).
    const lab = T.ivector('lab');
    const W1 = shared(g(50, 8), 'W1', { dtype: dt }), b1 = shared(g(8), 'b1', { dtype: dt });
    const W2 = shared(g(8, 4), 'W2', { dtype: dt }), b2 = shared(g(4), 'b2', { dtype: dt });
    const mlpCost = T.nnet.categoricalCrossentropy(T.nnet.softmax(T.relu(x.dot(W1).add(b1)).dot(W2).add(b2)), lab).mean();
    const smCost = T.nnet.categoricalCrossentropy(T.nnet.softmax(x.dot(W1).add(b1)), lab).mean();
    const someLabels = array(Array.from({ length: 600 }, (_, i) => (i * 5) % 4), { dtype: 'int32' });
    agree([x, lab], [mlpCost, ...grad(mlpCost, [W1, b1, W2, b2])], [g(600, 50), someLabels], `dense ${dt}`);
    agree([x, lab], [smCost, ...grad(smCost, [W1, b1])], [g(600, 50), someLabels], `softmax regression ${dt}`);
    expectError(() => fn([x, lab], smCost, { backend: 'native' })(g(2, 50), array([0, 9], { dtype: 'int32' })), 'label out of range');
    // Convolution and pooling with their gradients: padding, strides, dilation, partial windows.
    const img = T.tensor4('img', dt), flt = T.tensor4('flt', dt);
    const conv = T.nnet.conv2d(img, flt, { borderMode: [1, 2], subsample: [2, 1], filterDilation: [1, 2] });
    const pooled = T.signal.pool2d(conv, { ws: [2, 3], stride: [1, 2], ignoreBorder: false });
    const averaged = T.signal.pool2d(conv, { ws: [3, 2], pad: [1, 1], mode: 'average_exc_pad' });
    const convCost = pooled.sqr().sum().add(averaged.sum());
    agree([img, flt], [pooled, averaged, ...grad(convCost, [img, flt])], [g(3, 2, 7, 6), g(4, 2, 3, 2)], `conv and pool ${dt}`);
    agree([img], [grad(grad(T.signal.pool2d(img, { ws: [2, 2] }).sqr().sum(), img).sqr().sum(), img)], [g(2, 2, 5, 4)], `max pool second order ${dt}`);
    agree([img, flt], [T.nnet.conv2d(img, flt, { borderMode: 'full' }), grad(T.nnet.conv2d(img, flt).sum(), flt)], [g(2, 3, 4, 4), g(2, 3, 1, 1)], `1x1 and full conv ${dt}`);
    // Errors: shapes that do not align, an index out of bounds; neither may change w.
    const before = Array.from(w.getValue().data);
    expectError(() => step(g(300, 49), g(300)), 'misaligned dot');
    const bad = fn([m, idx], [], { updates: [[W, T.incSubtensor(W, [idx], m)]], backend: 'native' });
    expectError(() => bad(g(2, 3), array([1, 99], { dtype: 'int32' })), 'index out of bounds');
    if (Array.from(w.getValue().data).some((v, i) => v !== before[i])) throw new Error('a failed call changed w');
  }
}

// Async calls, several in flight, and one that fails.
const a = T.matrix('a');
const f = fn([a], [T.dot(a, a.T).sum(), T.nnet.softmax(a)], { backend: 'native' });
const runs = [1, 2, 3, 4].map((k) => f.async(f64(10 * k, 8)));
const failing = f.async('not an array' as never).then(
  () => Promise.reject(new Error('async: expected an error')),
  () => checked++,
);
await Promise.all([...runs, failing]);
checked += runs.length;
console.log(`memcheck workload: ${checked} checks passed`);
