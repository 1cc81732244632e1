/**
 * Run under mpirun by the distributed tests: `mpirun -np K node driver.mjs <mode> <backend> <dtype>`.
 * Every rank prints one JSON line. Modes:
 *   train        an MLP trained on K ranks (sharded minibatches, allreduced 'mean' gradients,
 *                sync and async steps) and, on each rank, the same MLP trained alone on whole
 *                minibatches: prints both final parameters and the count of allreduce instructions.
 *   reduce       distributed.allreduce and broadcast on plain arrays.
 *   bad-input    rank 1 calls the step with a wrong shape at step 2 (a sync call; bad-input-async:
 *                step 3, an async one); every rank reports its Error.
 *   bad-label    rank 1 has a label out of range (a kernel before the allreduce fails).
 *   throw        rank 1 throws outside any collective and dies; the others wait in a step.
 */
import { T, fn, grad, shared, random, distributed, training, NDArray, array, config, SharedVariable } from '../../lib/index.js';
import type { Variable } from '../../lib/index.js';

const [mode, backend, dtype] = process.argv.slice(2) as [string, 'native' | 'js', 'float64' | 'float32'];
config.floatX = dtype ?? 'float64';
const { rank, size } = distributed.init();
const out = (o: object) => process.stdout.write(JSON.stringify({ rank, size, ...o }) + '\n');

const N = 32, D = 5, H = 4, C = 3, batchSize = 8, epochs = 3;
const data = new random.RandomState(0);
const X = data.randn(N, D).astype(config.floatX) as NDArray;
const Y = data.randint(0, C, [N]) as NDArray;

function model(seed: number) {
  const r = new random.RandomState(seed);
  const init = (shape: number[], scale: number) => {
    const a = (r.randn(...shape) as NDArray).astype(config.floatX);
    a.data.forEach((v, i) => (a.data[i] = v * scale));
    return a;
  };
  return [shared(init([D, H], 0.5), 'W1'), shared(init([H], 0.1), 'b1'), shared(init([H, C], 0.5), 'W2'), shared(init([C], 0.1), 'b2')] as SharedVariable[];
}

function step(params: SharedVariable[], reduce: boolean) {
  const x = T.matrix('x'), y = T.ivector('y');
  const [W1, b1, W2, b2] = params;
  const h = T.tanh(x.dot(W1).add(b1));
  const p = T.nnet.softmax(h.dot(W2).add(b2));
  const cost = T.nnet.categoricalCrossentropy(p, y).mean();
  const gs = grad(cost, params).map((g: Variable) => (reduce ? T.distributed.allreduce(g, 'mean') : g));
  return fn([x, y], cost, { backend, updates: params.map((w, i) => [w, w.sub(gs[i].mul(0.5))]) });
}

const values = (ps: SharedVariable[]) => ps.map((p) => Array.from(p.getValue().data as ArrayLike<number>));

async function train() {
  const mine = model(100 + rank); // different on every rank until the broadcast
  distributed.broadcast(mine, 0);
  const alone = model(100);
  const f = step(mine, true), g = step(alone, false);
  const allreduces = f.program.instructions.filter((i) => i.opcode === 'allreduce').length;
  let k = 0;
  for (let e = 0; e < epochs; e++) {
    for (const [xb, yb] of training.minibatches([X, Y], { batchSize, shuffle: new random.RandomState(e) })) {
      if (k++ % 2) await f.async(xb, yb);
      else f(xb, yb);
    }
    for (const [xb, yb] of training.minibatches([X, Y], { batchSize, shuffle: new random.RandomState(e), shard: false })) g(xb, yb);
  }
  out({ mode, backend: f.backend, dtype: config.floatX, allreduces, distributed: values(mine), alone: values(alone) });
}

/** Async calls of two functions with collectives, all in flight at once: they must meet in call order. */
async function concurrent(backend: 'native' | 'js') {
  const u = T.vector('u');
  const p = fn([u], T.distributed.allreduce(u.mul(2), 'sum'), { backend });
  const q = fn([u], T.distributed.allreduce(u.add(rank), 'mean'), { backend });
  const calls: Promise<unknown>[] = [];
  for (let i = 0; i < 10; i++) calls.push(i % 2 ? q.async(array([i, i, i, i, i])) : p.async(array([i, i, i])));
  let refused = '';
  try {
    distributed.barrier();
  } catch (e) {
    refused = (e as Error).message;
  }
  const results = (await Promise.all(calls)).map((r) => Array.from((r as NDArray).data));
  return { results, refused };
}

function reduce() {
  const f64 = array([rank + 0.5, -rank, 1]);
  const i32 = new NDArray(Int32Array.from([rank, 10 * rank + 1]), [2], 'int32');
  const f32 = new NDArray(Float32Array.from([rank * 0.25]), [1], 'float32');
  const v = shared(array([[rank, rank], [rank, rank]]), 'v');
  distributed.broadcast([v], size - 1);
  distributed.barrier();
  out({
    sum: Array.from(distributed.allreduce(f64, 'sum').data), mean: Array.from(distributed.allreduce(f64, 'mean').data),
    max: Array.from(distributed.allreduce(f64, 'max').data), isum: Array.from(distributed.allreduce(i32, 'sum').data),
    imax: Array.from(distributed.allreduce(i32, 'max').data), fsum: Array.from(distributed.allreduce(f32, 'sum').data),
    fdtype: distributed.allreduce(f32, 'mean').dtype, broadcast: Array.from(v.getValue().data),
  });
}

async function fail() {
  // Even steps are sync calls, odd ones async: '-async' fails an async one.
  const at = mode.endsWith('-async') ? 3 : 2;
  const kind = mode.replace(/-async$/, '');
  const params = model(100);
  const before = values(params);
  const f = step(params, true);
  let k = 0;
  try {
    for (const [xb, yb] of training.minibatches([X, Y], { batchSize })) {
      if (kind === 'throw' && rank === 1 && k === at) throw new Error('rank 1 gives up');
      let x = xb, y = yb;
      if (rank === 1 && k === at && kind === 'bad-input') x = data.randn(xb.shape[0], D + 1).astype(config.floatX) as NDArray;
      if (rank === 1 && k === at && kind === 'bad-label') y = new NDArray(Int32Array.from(yb.data as Int32Array, (c) => c + 7), [...yb.shape], 'int32');
      if (k === at) before.splice(0, before.length, ...values(params));
      if (k % 2) await f.async(x, y);
      else f(x, y);
      k++;
    }
    out({ mode, ok: true });
  } catch (e) {
    const unchanged = JSON.stringify(values(params)) === JSON.stringify(before);
    out({ mode, error: (e as Error).message, step: k, unchanged });
    process.exitCode = 3;
  }
}

if (mode === 'train') await train();
else if (mode === 'reduce') reduce();
else if (mode === 'concurrent') out({ mode, ...(await concurrent(backend)) });
else await fail();
