/**
 * Parallel serving: two models (MLP 784-256-10, float32, 16 rows a request) each answering 1000
 * `f.async` predictions, one model after the other vs both at once. Functions that share no
 * variables run at the same time (native: on the libuv pool; js: on worker threads).
 */
import { T, shared, fn, random, NDArray } from 'theanode';

const REQUESTS = Number(process.env.REQUESTS ?? 1000);

function model(seed: number, backend: 'native' | 'js') {
  const rng = new random.RandomState(seed);
  const w1 = shared(rng.uniform(-0.05, 0.05, [784, 256]) as NDArray, 'w1', { dtype: 'float32' });
  const w2 = shared(rng.uniform(-0.1, 0.1, [256, 10]) as NDArray, 'w2', { dtype: 'float32' });
  const x = T.matrix('x', 'float32');
  return fn([x], T.nnet.softmax(T.relu(x.dot(w1)).dot(w2)).argmax(1), { backend });
}

/** Milliseconds for both models' requests, one model after the other, then both at once. */
export async function servingMs(backend: 'native' | 'js'): Promise<{ sequential: number; concurrent: number }> {
  const models = [model(1, backend), model(2, backend)];
  const x = (new random.RandomState(3).rand(16, 784) as NDArray).astype('float32');
  const requests = backend === 'js' ? Math.max(1, REQUESTS / 10) : REQUESTS;
  const answer = async (f: (typeof models)[number], n: number) => {
    for (let i = 0; i < n; i++) await f.async(x);
  };
  await Promise.all(models.map((m) => answer(m, 20))); // warm-up (and, on js, the workers start)
  let t0 = performance.now();
  for (const m of models) await answer(m, requests);
  const sequential = performance.now() - t0;
  t0 = performance.now();
  await Promise.all(models.map((m) => answer(m, requests)));
  const concurrent = performance.now() - t0;
  // Per 1000 requests of each model, whatever was run.
  const scale = REQUESTS / requests;
  return { sequential: sequential * scale, concurrent: concurrent * scale };
}
