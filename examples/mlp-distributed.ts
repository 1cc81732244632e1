/**
 * The Fashion-MNIST MLP (784-256-128-10, ReLU, float32, SGD, minibatch 128) trained on 2 MPI ranks:
 * each rank steps on its half of every minibatch, and the gradients are averaged over the ranks
 * in one message per step, inside the compiled step. Rank 0 prints each epoch's loss (over all
 * ranks' rows) and test accuracy. Then the same training in one process, for its final accuracy.
 *
 *   npm run example:distributed                 # launches `mpirun -np 2` (and -np 1) itself
 *   mpirun -np 2 node dist/examples/mlp-distributed.js --epochs 3   # as root: --allow-run-as-root
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { T, shared, fn, grad, random, config, io, updates, training, distributed, NDArray, backendInfo, setBlasThreads } from 'theanode';
import type { SharedVariable, Variable } from 'theanode';

const { values: opts } = parseArgs({
  options: {
    epochs: { type: 'string', default: '3' },
    batch: { type: 'string', default: '128' },
    lr: { type: 'string', default: '0.1' },
    data: { type: 'string', default: process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist' },
  },
});

function loadSplit(prefix: string): [NDArray, NDArray] {
  const imagesPath = join(opts.data!, `${prefix}-images-idx3-ubyte.gz`);
  if (!existsSync(imagesPath)) {
    console.error(`Fashion-MNIST not found: ${imagesPath} is missing (apt-get install dataset-fashion-mnist, or --data <folder>)`);
    process.exit(1);
  }
  const images = io.loadIdx(imagesPath);
  const labels = io.loadIdx(join(opts.data!, `${prefix}-labels-idx1-ubyte.gz`));
  const x = new Float32Array(images.size);
  for (let i = 0; i < x.length; i++) x[i] = images.data[i] / 255;
  return [new NDArray(x, [images.shape[0], 784]), new NDArray(Int32Array.from(labels.data), [labels.shape[0]])];
}

/** One rank of the job: trains, and rank 0 reports. */
function trainRank() {
  distributed.init();
  config.floatX = 'float32';
  if (backendInfo().backend === 'native') setBlasThreads(1); // one core per rank
  const [trainX, trainY] = loadSplit('train');
  const [testX, testY] = loadSplit('t10k');
  const rng = new random.RandomState(0);
  const linear = (fanIn: number, fanOut: number): SharedVariable[] => {
    const bound = 1 / Math.sqrt(fanIn);
    return [shared(rng.uniform(-bound, bound, [fanIn, fanOut])), shared(rng.uniform(-bound, bound, [fanOut]))];
  };
  const params = [linear(784, 256), linear(256, 128), linear(128, 10)].flat();
  distributed.broadcast(params); // every rank starts from rank 0's weights
  const x = T.matrix('x'), y = T.ivector('y');
  let h: Variable = x;
  for (let i = 0; i < 3; i++) {
    h = h.dot(params[2 * i]).add(params[2 * i + 1]);
    if (i < 2) h = T.relu(h);
  }
  const probs = T.nnet.softmax(h);
  const loss = T.nnet.categoricalCrossentropy(probs, y).mean();
  // Each rank's gradient is of its half of the minibatch: their mean is the whole minibatch's.
  const gs = grad(loss, params).map((g) => T.distributed.allreduce(g, 'mean'));
  const step = fn([x, y], loss, { updates: updates.sgd(gs, params, { learningRate: Number(opts.lr) }) });
  const predict = fn([x], probs.argmax(1));
  const accuracy = () => {
    const p = predict(testX);
    let right = 0;
    for (let i = 0; i < testY.size; i++) right += p.data[i] === testY.data[i] ? 1 : 0;
    return right / testY.size;
  };
  const history = training.fit({
    step, data: [trainX, trainY], epochs: Number(opts.epochs), batchSize: Number(opts.batch), shuffle: rng, progress: false,
    onEpoch: (r) => {
      const acc = accuracy();
      if (distributed.rank === 0) console.log(`epoch ${r.epoch}  loss ${r.loss.toFixed(4)}  test accuracy ${(acc * 100).toFixed(2)}%  ${r.seconds.toFixed(1)} s  (${distributed.size} rank${distributed.size > 1 ? 's' : ''})`);
      return { accuracy: acc };
    },
  });
  if (distributed.rank === 0) console.log(JSON.stringify({ ranks: distributed.size, accuracy: history[history.length - 1].accuracy }));
}

/** Without mpirun: launch the 2-rank job, then one process, and compare their final accuracies. */
async function launch() {
  const run = promisify(execFile);
  const self = fileURLToPath(import.meta.url);
  const flags = [...(process.getuid?.() === 0 ? ['--allow-run-as-root'] : []), '--oversubscribe', '--bind-to', 'none'];
  const finals: number[] = [];
  for (const np of [2, 1]) {
    console.log(`mpirun -np ${np} node ${self} --epochs ${opts.epochs}`);
    const { stdout } = await run('mpirun', [...flags, '-np', String(np), process.execPath, self, '--epochs', opts.epochs!, '--batch', opts.batch!, '--lr', opts.lr!, '--data', opts.data!], { maxBuffer: 1 << 24 });
    for (const line of stdout.trim().split('\n')) {
      if (line.startsWith('{')) finals.push(JSON.parse(line).accuracy);
      else console.log(`  ${line}`);
    }
  }
  const [two, one] = finals;
  console.log(`final test accuracy: 2 ranks ${(two * 100).toFixed(2)}%, one process ${(one * 100).toFixed(2)}% (difference ${((two - one) * 100).toFixed(2)} points: float32 sums in another order)`);
}

if (distributed.launchedByMpirun()) trainRank();
else await launch();
