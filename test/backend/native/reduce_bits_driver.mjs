// Prints the bits (hex) of native reductions as JSON, run with THEANODE_SIMD set by reduce.test.ts.
import * as api from '../../../dist/lib/index.js';

const { T, fn, random, NDArray } = api;
const rng = new random.RandomState(21);
const out = [];
for (const dtype of ['float64', 'float32']) {
  for (const [shape, axes] of [[[64, 1023], [1]], [[20000], undefined], [[1023, 17], [0]], [[3, 40, 9], [1]], [[3, 40, 9], [0, 2]], [[3, 7, 40], [0, 2]]]) {
    const x = T.tensor(dtype, shape.map(() => false), 'x');
    const outs = [T.sum(x, axes), T.mean(x, axes), T.prod(x.mul(0.01).add(1), axes), T.max(x, axes), T.min(x, axes)];
    const f = fn([x], outs, { backend: 'native' });
    const data = rng.randn(shape.reduce((a, b) => a * b, 1)).astype(dtype);
    for (const r of f(new NDArray(data.data, shape, dtype))) out.push(Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength).toString('hex'));
  }
}
console.log(JSON.stringify(out));
