// Compiles and calls many functions in one synchronous loop (the event loop never turns) and
// prints the peak resident set size. Each function's plan has an arena of about 1 MiB.
import { T, fn, NDArray } from '../../../dist/lib/index.js';

const count = Number(process.argv[2] ?? 5000);
const backend = process.argv[3] ?? 'native';
const x = new NDArray(new Float64Array(128 * 1024).fill(0.5), [128, 1024], 'float64');
let peak = 0;
let check = 0;
for (let i = 0; i < count; i++) {
  const v = T.matrix('x');
  const f = fn([v], v.mul(i % 7).exp().add(v).sum(1), { backend });
  check += f(x).data[0];
  if (i % 100 === 0) peak = Math.max(peak, process.memoryUsage.rss());
}
peak = Math.max(peak, process.memoryUsage.rss());
console.log(JSON.stringify({ peakMiB: Math.round(peak / 2 ** 20), check }));
