/**
 * Child-process driver: worker threads that run native f.async calls are terminated while the
 * calls are in flight, then the process exits mid-call. Prints "ok <rounds>" when it survives.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { T, fn, shared, random } from '../../../lib/index.js';

function busyFunction() {
  const rng = new random.RandomState(1);
  const w = shared(rng.randn(300, 300), 'w');
  const x = T.matrix('x');
  // A few products per call, so each call lasts long enough to be caught in flight.
  const y = x.dot(w).tanh().dot(w).tanh().dot(w);
  return { f: fn([x], y.sum(), { backend: 'native', updates: [[w, w.mul(0.999)]] }), x: rng.randn(300, 300) };
}

if (!isMainThread) {
  const { f, x } = busyFunction();
  const loop = () => {
    // Always a call in flight; the first one tells the parent when to terminate.
    f.async(x).then(loop, (e) => parentPort!.postMessage(`error ${e.message}`));
  };
  for (let i = 0; i < 4; i++) loop();
  parentPort!.postMessage('running');
} else {
  const mode = process.argv[2] ?? 'terminate';
  const rounds = 6;
  const self = fileURLToPath(import.meta.url);
  const once = (delayMs: number) =>
    new Promise<void>((done, fail) => {
      const w = new Worker(self, { workerData: {} });
      w.on('message', (m) => {
        if (m === 'running') setTimeout(() => void w.terminate().then(() => done()), delayMs);
        else fail(new Error(String(m)));
      });
      w.on('error', fail);
    });
  void workerData;
  const main = async () => {
    if (mode === 'terminate') {
      for (let i = 0; i < rounds; i++) await once(i * 3);
      console.log(`ok ${rounds}`);
    } else {
      // process.exit while the main thread itself has native calls in flight.
      const { f, x } = busyFunction();
      for (let i = 0; i < 4; i++) void f.async(x);
      setTimeout(() => {
        console.log('ok exit');
        process.exit(0);
      }, 5);
    }
  };
  main().catch((e) => {
    console.error(e);
    process.exit(2);
  });
}
