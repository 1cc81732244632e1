/**
 * Child-process driver for random expression graphs: `node driver.mjs <firstSeed> <count>`.
 * Each case is compiled twice, on native and on js, one with rewrites and one without
 * (alternating which), and the results must agree; on a subset (float64, smooth ops) the
 * gradient of a scalar reduction is checked against central differences. Prints
 * "start <seed>" before each case (so a crash names its seed), one JSON line per failure,
 * and a final "summary" JSON line.
 */
import { T, fn, grad, NDArray, backendInfo } from '../../lib/index.js';
import { GraphGen } from './graph_gen.js';
import { Rng } from './random.js';

const [first, count] = process.argv.slice(2).map(Number);
const native = backendInfo().backend === 'native';

interface Failure {
  seed: number;
  what: string;
  graph: string;
  detail: string;
}

/** allclose with numpy's shape: |a-b| <= atol + rtol|b|, the scale of the array setting atol. */
function firstMismatch(a: NDArray, b: NDArray, rtol: number): string | null {
  if (a.dtype !== b.dtype || a.shape.join() !== b.shape.join()) return `dtype/shape ${a.dtype}(${a.shape}) vs ${b.dtype}(${b.shape})`;
  let scale = 1;
  for (const v of b.data) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < a.size; i++) {
    const x = a.data[i];
    const y = b.data[i];
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (x === y) continue;
    if (!(Math.abs(x - y) <= rtol * scale * 1e-2 + rtol * Math.abs(y))) return `element ${i}: ${x} vs ${y}`;
  }
  return null;
}

function run(f: (...a: unknown[]) => NDArray, args: NDArray[]): { value?: NDArray; error?: string } {
  try {
    return { value: f(...args) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function oneCase(seed: number, failures: Failure[], stats: { grads: number; errorsBoth: number }): void {
  const r = new Rng(seed);
  const dtype = r.chance(0.3) ? 'float32' : 'float64';
  const g = new GraphGen(r, dtype);
  const shape = g.randomShape();
  const depth = r.int(1, 4);
  let root;
  let graph = '(building)';
  try {
    root = g.shaped(shape, depth);
    graph = root.text;
  } catch (e) {
    failures.push({ seed, what: 'graph construction failed', graph, detail: (e as Error).message });
    return;
  }
  const vars = g.inputs.map((i) => i.v);
  const args = g.inputs.map((i) => i.value);
  const flip = seed % 2 === 0;
  const configs = [
    { backend: native ? 'native' : 'js', optimize: flip },
    { backend: 'js', optimize: !flip },
  ] as const;
  // Outputs: the root, sometimes again, and sometimes an input passed through.
  const extra = r.chance(0.2) ? [root.v] : r.chance(0.2) ? [vars[0]] : [];
  const results = configs.map((c) => {
    try {
      const f = fn(vars, [root.v, ...extra], { backend: c.backend, optimize: c.optimize, name: 'case' });
      const first = run(f as never, args) as { value?: NDArray[] | NDArray; error?: string };
      if (first.error) return first as { error: string };
      const outs = first.value as unknown as NDArray[];
      // A second call reuses the plan and its arena: it must give the same results.
      const again = run(f as never, args) as { value?: NDArray[] | NDArray; error?: string };
      const outs2 = again.value as unknown as NDArray[] | undefined;
      if (!outs2 || outs2.some((o, i) => firstMismatch(o, outs[i], 0) !== null)) return { error: `second call differs from the first: ${again.error ?? ''}` };
      if (extra.length && extra[0] === vars[0] && firstMismatch(outs[1], args[0], 0)) return { error: 'an input passed through came back changed' };
      return { value: outs[0] };
    } catch (e) {
      return { error: `compile: ${(e as Error).message}` };
    }
  });
  const [a, b] = results;
  const label = configs.map((c) => `${c.backend}${c.optimize ? '+rewrites' : ''}`).join(' vs ');
  if (a.error || b.error) {
    if (!(a.error && b.error)) failures.push({ seed, what: `only one of ${label} failed`, graph, detail: `${a.error ?? 'ok'} | ${b.error ?? 'ok'}` });
    else {
      stats.errorsBoth++;
      process.stdout.write(`both-failed ${JSON.stringify({ seed, graph, error: a.error })}\n`);
    }
    return;
  }
  if (a.value!.shape.join() !== shape.join()) failures.push({ seed, what: 'wrong output shape', graph, detail: `${a.value!.shape} vs expected ${shape}` });
  // float32 anywhere in the graph (BLAS's sdot, float32 intermediates) sets float32's tolerance.
  const rtol = dtype === 'float32' || a.value!.dtype === 'float32' ? 1e-4 : 1e-10;
  const mismatch = firstMismatch(a.value!, b.value!, rtol);
  if (mismatch) failures.push({ seed, what: `${label} disagree`, graph, detail: mismatch });

  // Gradients of sum(root * w) on a subset: float64 only, smooth ops, no integer inputs.
  if (dtype !== 'float64' || g.discrete || seed % 3 !== 0 || g.inputs.some((i) => i.v.dtype !== 'float64') || a.value!.dtype !== 'float64') return;
  const n = a.value!.size;
  const w = new NDArray(Float64Array.from({ length: n }, () => r.normal()), shape);
  const cost = T.sum(T.mul(root.v, w));
  stats.grads++;
  try {
    const gs = grad(cost, vars, { disconnectedInputs: 'ignore' });
    const gradFn = fn(vars, gs, { backend: seed % 2 ? 'js' : native ? 'native' : 'js', name: 'grads' });
    const costFn = fn(vars, cost, { backend: 'js', name: 'cost' });
    const got = gradFn(...args) as NDArray[];
    for (let k = 0; k < args.length; k++) {
      const x = args[k];
      for (let i = 0; i < x.size; i++) {
        const x0 = x.data[i];
        const h = 1e-6 * Math.max(1, Math.abs(x0));
        x.data[i] = x0 + h;
        const up = costFn(...args).item();
        x.data[i] = x0 - h;
        const down = costFn(...args).item();
        x.data[i] = x0;
        const fd = (up - down) / (2 * h);
        const gv = got[k].data[i];
        if (!Number.isFinite(fd) || !Number.isFinite(gv)) continue;
        if (Math.abs(fd - gv) > 1e-5 + 1e-4 * Math.max(Math.abs(fd), Math.abs(gv))) {
          failures.push({ seed, what: 'grad disagrees with finite differences', graph, detail: `input ${k} element ${i}: grad ${gv}, finite differences ${fd}` });
          return;
        }
      }
    }
  } catch (e) {
    failures.push({ seed, what: 'grad failed', graph, detail: (e as Error).message });
  }
}

const failures: Failure[] = [];
const stats = { grads: 0, errorsBoth: 0 };
for (let s = first; s < first + count; s++) {
  process.stdout.write(`start ${s}\n`);
  const before = failures.length;
  oneCase(s, failures, stats);
  for (const f of failures.slice(before)) process.stdout.write(`failure ${JSON.stringify(f)}\n`);
}
process.stdout.write(`summary ${JSON.stringify({ cases: count, failures: failures.length, ...stats, native })}\n`);
