// Run by parallel.test.ts: the one-pass step and a product on 2 threads, then the same with every
// thread of this process held to one CPU (taskset), where each woken worker lands on the caller's
// core. Prints the results' bits before and after, and the pool's counts while held.
import { spawnSync } from 'node:child_process';
import * as api from '../../../dist/lib/index.js';

const { T, fn, shared, grad, random, NDArray, backendInfo, setBlasThreads } = api;
setBlasThreads(2);
const rng = new random.RandomState(3);
const x = T.matrix('x'), y = T.vector('y'), a = T.matrix('a'), b = T.matrix('b');
const w = shared(rng.randn(300), 'w');
const p = T.nnet.sigmoid(x.dot(w));
const cost = T.nnet.binaryCrossentropy(p, y).mean();
const step = fn([x, y], [cost, grad(cost, w)], { backend: 'native' });
const product = fn([a, b], a.dot(b), { backend: 'native' });
const X = rng.randn(3000, 300), Y = rng.randint(0, 2, [3000]).astype('float64');
const A = rng.randn(400, 300), B = rng.randn(300, 200);
const bits = () => [...step(X, Y), product(A, B)].map((r) => Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength).toString('hex'));
const before = bits();
const cpu = String(Math.min(...(spawnSync('taskset', ['-c', '-p', String(process.pid)], { encoding: 'utf8' }).stdout.split(':')[1].trim().split(/[,-]/).map(Number))));
const pin = spawnSync('taskset', ['-a', '-c', '-p', cpu, String(process.pid)], { encoding: 'utf8' });
if (pin.status !== 0) throw new Error(`taskset: ${pin.stderr}`);
const p0 = backendInfo().pool;
let after = bits();
for (let i = 0; i < 200; i++) after = bits();
const p1 = backendInfo().pool;
console.log(JSON.stringify({ before, after, crowded: p1.crowded - p0.crowded, paused: p1.paused - p0.paused, parallel: p1.parallel - p0.parallel, cores: backendInfo().cores }));
