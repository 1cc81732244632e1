/**
 * The native backend against the js backend on the same programs: every opcode, float64 and
 * float32, broadcasting, empty and 0-d arrays, transposed products, gradients. Results must be
 * allclose (rtol 1e-10 float64, 1e-4 float32; integers and booleans exactly).
 */
import { describe, expect, it } from 'vitest';
import { T, fn, grad, shared, array, NDArray, random, config, backendInfo, setBlasThreads } from 'theanode';
import type { Variable } from 'theanode';
import { nativeStatus } from '../../../lib/backend/native/index.js';

const native = nativeStatus();

/** `scaled`: the tolerance is relative to the array's largest value (long float32 sums cancel). */
function close(a: NDArray, b: NDArray, label: string, scaled = false) {
  expect(a.dtype, label).toBe(b.dtype);
  expect(a.shape, label).toEqual(b.shape);
  const rtol = a.dtype === 'float32' ? 1e-4 : 1e-10;
  let scale = 0;
  if (scaled) for (let i = 0; i < b.size; i++) scale = Math.max(scale, Math.abs(b.data[i]));
  const exact = a.dtype === 'int32' || a.dtype === 'bool';
  // One assertion per array, naming the first differing element (not one per element).
  for (let i = 0; i < a.size; i++) {
    const x = a.data[i];
    const y = b.data[i];
    if (Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y))) continue;
    if (exact || !(Math.abs(x - y) <= 1e-300 + rtol * (Math.abs(y) + scale))) expect.fail(`${label}[${i}]: native ${x}, js ${y}`);
  }
}

/** Compile on both backends, run on the same arguments, compare every output. */
function agree(inputs: Variable[], outputs: Variable | Variable[], args: unknown[], label: string, scaled = false) {
  const list = Array.isArray(outputs) ? outputs : [outputs];
  const fj = fn(inputs, list, { backend: 'js' });
  const fnat = fn(inputs, list, { backend: 'native' });
  expect(fnat.backend).toBe('native');
  const rj = fj(...args);
  const rn = fnat(...args);
  rj.forEach((r, i) => close(rn[i], r, `${label} output ${i}`, scaled));
}

const rng = new random.RandomState(1);
const f64 = (...shape: number[]) => rng.randn(...(shape as [number])) as NDArray;
const f32 = (...shape: number[]) => (rng.randn(...(shape as [number])) as NDArray).astype('float32');

/** Runs `body` for float64 and float32 with the native backend on two threads. */
function onTwoThreads(body: (dt: 'float64' | 'float32', g: (...shape: number[]) => NDArray) => void) {
  const before = backendInfo().blasThreads ?? 1;
  setBlasThreads(2);
  try {
    for (const dt of ['float64', 'float32'] as const) body(dt, dt === 'float64' ? f64 : f32);
  } finally {
    setBlasThreads(before);
  }
}

describe.runIf(native.available)('native agrees with js', () => {
  it('elementwise ops, fused and alone, in float64 and float32', () => {
    for (const dt of ['float64', 'float32'] as const) {
      const x = T.matrix('x', dt);
      const y = T.vector('y', dt);
      const z = x.add(y);
      const outs = [
        z, x.sub(y), x.mul(y), x.div(y.abs().add(0.5)), x.neg(), x.abs().pow(y.abs()), x.exp(), x.abs().log(), x.abs().log1p(), x.expm1(),
        x.abs().sqrt(), x.sqr(), x.sign(), x.tanh(), x.sigmoid(), x.softplus(), x.relu(), T.maximum(x, y), T.minimum(x, y), T.clip(x, -0.5, 0.7),
        T.switch(x.gt(0), x, y), x.gt(y), x.ge(y), x.lt(y), x.le(y), x.eq(x), x.neq(y), x.gt(0).and(y.gt(0)), x.gt(0).or(y.gt(0)), x.gt(0).not(),
        x.mul(3).floor(), x.mul(3).ceil(), x.mul(2).round(), x.astype('int32'), T.zerosLike(x), T.onesLike(y),
        T.tanh(x.mul(y).add(1).exp().log()).sigmoid(),
      ];
      agree([x, y], outs, [dt === 'float64' ? f64(5, 7) : f32(5, 7), dt === 'float64' ? f64(7) : f32(7)], `elemwise ${dt}`);
    }
  });

  it('elementwise over many blocks: inputs read in place, scalars, results over dead inputs', () => {
    // 37 x 29 = 1073 values: several of the kernel's blocks and a short last one.
    for (const dt of ['float64', 'float32'] as const) {
      const x = T.matrix('x', dt);
      const y = T.matrix('y', dt);
      const s = T.scalar('s', dt);
      const h = x.mul(y).add(s).tanh(); // dead after the next op: it may be overwritten
      const args = dt === 'float64' ? [f64(37, 29), f64(37, 29), 0.75] : [f32(37, 29), f32(37, 29), 0.75];
      agree([x, y, s], [h.mul(s).sub(x), x.add(s).mul(y.sub(s)), T.switch(x.gt(s), y, s), y.softplus().mul(x).add(1)], args, `blocks ${dt}`);
    }
  });

  it('broadcasting a row, a column and a middle axis', () => {
    const m = T.matrix('m');
    const col = T.tensor('float64', [false, true], 'col');
    const t3 = T.tensor3('t3');
    const mid = T.tensor('float64', [false, true, false], 'mid');
    const row = T.vector('row');
    agree([m, col, t3, mid, row], [m.add(col), m.mul(row).sub(col), t3.add(mid), t3.mul(row.get(T.slice(0, 4))), col.add(row)], [f64(5, 6), f64(5, 1), f64(2, 3, 4), f64(2, 1, 4), f64(6)], 'broadcast');
    const fc = T.tensor('float32', [false, true], 'fc');
    const fm = T.matrix('fm', 'float32');
    agree([fm, fc], [fm.add(fc), T.relu(fm.sub(fc))], [f32(300, 7), f32(300, 1)], 'broadcast f32');
    // A per-channel value (its axes a contiguous run inside the output's), over many blocks.
    const x4 = T.tensor4('x4', 'float32');
    const ch = T.vector('ch', 'float32');
    const plane = T.matrix('plane', 'float32');
    const perChannel = ch.dimshuffle('x', 0, 'x', 'x');
    agree([x4, ch, plane], [T.tanh(x4.add(perChannel)), x4.mul(plane.dimshuffle('x', 0, 1, 'x')).add(perChannel)], [f32(7, 20, 9, 11), f32(20), f32(20, 9)], 'per-channel f32');
  });

  it('integers, booleans, 0-d values and empty arrays', () => {
    const i = T.ivector('i');
    const j = T.iscalar('j');
    const s = T.scalar('s');
    agree([i, j], [i.add(j), i.mul(i), i.div(j), i.gt(j), i.and(j), i.or(3), i.not(), i.sum(), i.max(), i.prod(), i.argmax(), i.astype('float32')], [array([3, -7, 2**30, 5], { dtype: 'int32' }), 3], 'int');
    agree([s], [s.exp(), s.mul(2).add(1)], [0.25], '0-d');
    const e = T.matrix('e');
    agree([e], [e.sum(0), e.sum(1), e.mean(1), e.exp(), e.T, e.reshape([-1])], [new NDArray(new Float64Array(0), [0, 3])], 'empty');
  });

  it('reductions over axes, keepdims, argmax/argmin', () => {
    const x = T.tensor3('x');
    const outs = [x.sum(), x.sum(0), x.sum(1), x.sum(2), x.sum([0, 2]), x.mean(1, true), x.prod(2), x.max(0), x.min([1, 2]), x.gt(0).all(1), x.gt(0).any(0), x.argmax(2), x.argmin(0), x.argmax(), x.var(1), x.std()];
    const data = f64(3, 4, 5);
    data.data[7] = NaN;
    agree([x], outs, [data], 'reduce');
  });

  it('dot in every combination, with transposes, float64, float32 and int32', () => {
    for (const dt of ['float64', 'float32'] as const) {
      const m = T.matrix('m', dt);
      const n = T.matrix('n', dt);
      const v = T.vector('v', dt);
      const w = T.vector('w', dt);
      const g = dt === 'float64' ? f64 : f32;
      agree([m, n, v, w], [T.dot(m, n), T.dot(m.T, m), T.dot(m, n.T.T), T.dot(n.T, w), T.dot(m, w), T.dot(v, m), T.dot(w, n), T.dot(v.get(T.slice(0, 3)), n.T), T.dot(v, v), T.outer(v, w), T.dot(n.T, m.T)], [g(6, 4), g(4, 3), g(6), g(4)], `dot ${dt}`);
    }
    const a = T.imatrix('a');
    const b = T.ivector('b');
    agree([a, b], [T.dot(a, b), T.dot(b, a.T), T.dot(a.T, a)], [array([[1, 2], [3, 4], [5, 6]], { dtype: 'int32' }), array([7, 8], { dtype: 'int32' })], 'dot int32');
    const z = T.matrix('z');
    agree([z], [T.dot(z, z.T), T.dot(z.T, z)], [new NDArray(new Float64Array(0), [3, 0])], 'dot k=0');
  });

  it('products split over two threads: every transpose, tall, wide, gemv both ways, gemm in place', () => {
    onTwoThreads((dt, g) => {
      const a = T.matrix('a', dt), b = T.matrix('b', dt), v = T.vector('v', dt), u = T.vector('u', dt);
      // 300x200 · 200x150 splits by rows; 20x300 · 300x500 by columns.
      agree([a, b], [T.dot(a, b), T.dot(a.T, a), T.dot(b, b.T)], [g(300, 200), g(200, 150)], `split gemm ${dt}`, true);
      agree([a, b], [T.dot(a, b), T.dot(a.T.T, b)], [g(20, 300), g(300, 500)], `split wide gemm ${dt}`, true);
      agree([a, v, u], [T.dot(a, v), T.dot(u, a), T.dot(a.T, u)], [g(700, 300), g(300), g(700)], `split gemv ${dt}`, true);
      const C = shared(g(300, 150), 'C', { dtype: dt });
      const step = (backend: 'js' | 'native') => fn([a, b], [], { updates: [[C, C.sub(T.dot(a.T, b).mul(0.1))]], backend });
      const args = [g(200, 300), g(200, 150)];
      const c0 = C.getValue();
      step('js')(...args);
      const cj = C.getValue();
      C.setValue(c0);
      step('native')(...args);
      close(C.getValue(), cj, `split gemm update ${dt}`, true);
    });
  });

  it('OpenBLAS called from two threads at once gives the same bits every time', () => {
    // Each thread makes single-threaded BLAS calls on its own band, concurrently with the other:
    // repeated many times, any race in OpenBLAS's buffers would show as a differing result.
    onTwoThreads((dt, g) => {
      const a = T.matrix('a', dt), b = T.matrix('b', dt), v = T.vector('v', dt);
      const f = fn([a, b, v], [T.dot(a, b), T.dot(a.T, a), T.dot(b.T, v)], { backend: 'native' });
      const args = [g(160, 96), g(96, 130), g(96)];
      const first = f(...args).map((r) => Array.from(r.data));
      for (let k = 0; k < 150; k++) {
        f(...args).forEach((r, i) => {
          const at = r.data.findIndex((x, j) => !Object.is(x, first[i][j]));
          if (at >= 0) expect.fail(`call ${k} output ${i}[${at}]: ${r.data[at]} vs ${first[i][at]}`);
        });
      }
      agree([a, b, v], [T.dot(a, b), T.dot(a.T, a), T.dot(b.T, v)], args, `concurrent BLAS ${dt}`, true);
    });
  });

  it('keeps results right while the thread count changes between calls', () => {
    // The pool grows on demand: a worker started later must not run an earlier job.
    const before = backendInfo().blasThreads ?? 1;
    try {
      const a = T.matrix('a'), b = T.matrix('b');
      const f = fn([a, b], T.dot(a, b), { backend: 'native' });
      const own = new random.RandomState(12);
      const args = [own.randn(400, 300) as NDArray, own.randn(300, 200) as NDArray];
      const ref = fn([a, b], T.dot(a, b), { backend: 'js' })(...args);
      for (const threads of [2, 3, 4, 1, 5, 2]) {
        setBlasThreads(threads);
        for (let k = 0; k < 20; k++) close(f(...args), ref, `${threads} threads, call ${k}`, true);
      }
    } finally {
      setBlasThreads(before);
    }
  });

  it('shape ops: transpose copies, reshape, flatten, concatenate, stack, arange, shape', () => {
    const x = T.tensor3('x');
    const y = T.matrix('y');
    const k = T.iscalar('k');
    const outs = [x.dimshuffle(2, 0, 1), x.dimshuffle(1, 'x', 0, 2), x.reshape([6, -1]), x.flatten(2), T.concatenate([y, y.mul(2)], 1), T.concatenate([y, y], 0), T.stack([y, y.neg()], 1), T.arange(k), T.arange(1, k, 2).astype('float64'), x.shape, x.shape.get(2).mul(y.sum())];
    agree([x, y, k], outs, [f64(2, 3, 4), f64(2, 5), 7], 'shape ops');
  });

  it('indexing: numbers, slices, integer arrays, and their updates', () => {
    const x = T.matrix('x');
    const idx = T.ivector('idx');
    const i = T.iscalar('i');
    const outs = [
      x.get(1), x.get(-1, 2), x.get(T.slice(1, null, 2)), x.get(T.slice(null, null, -1), T.slice(2, 0, -1)), x.get(T.slice(i, i.add(2))), x.get(idx), x.get(T.slice(null), idx), x.get(T.arange(3), idx.get(T.slice(0, 3))),
      T.setSubtensor(x, [T.slice(1, 3)], 0), T.incSubtensor(x, [idx], 1), T.incSubtensor(x, [T.arange(3), idx.get(T.slice(0, 3))], x.get(0, T.slice(0, 3))),
    ];
    agree([x, idx, i], outs, [f64(5, 4), array([0, 2, 2, 3, 1], { dtype: 'int32' }), 1], 'index');
  });

  it('softmax family and cross-entropies, including saturated inputs', () => {
    const x = T.matrix('x');
    const y = T.ivector('y');
    const p = T.nnet.softmax(x);
    const outs = [p, T.nnet.logSoftmax(x), T.nnet.categoricalCrossentropy(p, y), T.nnet.binaryCrossentropy(T.nnet.sigmoid(x), x.gt(0))];
    const data = f64(4, 5);
    data.data[3] = 800;
    data.data[11] = -900;
    agree([x, y], outs, [data, array([1, 0, 4, 3], { dtype: 'int32' })], 'softmax');
    // Rows with an infinity, a NaN, only -inf, and many classes (the vectorised exponentials' tails).
    const odd = f64(5, 37);
    odd.data[2] = Infinity;
    odd.data[37 + 5] = NaN;
    for (let j = 0; j < 37; j++) odd.data[2 * 37 + j] = -Infinity;
    odd.data[3 * 37 + 36] = -Infinity;
    odd.data[4 * 37 + 1] = 700;
    const xy = [x, y];
    const wide = [p, T.nnet.logSoftmax(x), T.nnet.categoricalCrossentropy(p, y), grad(T.nnet.categoricalCrossentropy(p, y).sum(), x)];
    agree(xy, wide, [odd, array([0, 5, 3, 36, 1], { dtype: 'int32' })], 'softmax, odd rows');
  });

  it('gradients of a small network', () => {
    for (const dt of ['float64', 'float32'] as const) {
      const saved = config.floatX;
      config.floatX = dt;
      try {
        const x = T.matrix('x');
        const y = T.ivector('y');
        const w1 = shared((new random.RandomState(3).randn(6, 5) as NDArray), 'w1');
        const b1 = shared(new Array(5).fill(0.1), 'b1');
        const w2 = shared((new random.RandomState(4).randn(5, 3) as NDArray), 'w2');
        const h = T.relu(x.dot(w1).add(b1.dimshuffle('x', 0)));
        const loss = T.nnet.categoricalCrossentropy(T.nnet.softmax(h.dot(w2)), y).mean().add(w1.sqr().sum().mul(1e-3));
        const gs = grad(loss, [w1, b1, w2]);
        // float32 gradient sums cancel: compare them on the scale of the largest value.
        agree([x, y], [loss, ...gs], [dt === 'float64' ? f64(8, 6) : f32(8, 6), array([0, 1, 2, 1, 0, 2, 2, 1], { dtype: 'int32' })], `grad ${dt}`, dt === 'float32');
      } finally {
        config.floatX = saved;
      }
    }
  });
});
