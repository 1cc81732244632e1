/**
 * Child-process driver for malformed inputs: `node driver.mjs <firstSeed> <count>`. Each case
 * gives one generated value to a compiled function (sync or async, js or native), to shared()
 * or to setValue(). It must be refused with an Error that names the consumer, leaving every
 * shared variable as it was, or be taken exactly as its reference reading says.
 */
import { T, fn, shared, NDArray, backendInfo, SharedVariable } from '../../lib/index.js';
import type { DType } from '../../lib/index.js';
import { Rng } from './random.js';
import { Malformed, Reading, malformed } from './malformed_gen.js';

const [first, count] = process.argv.slice(2).map(Number);
const native = backendInfo().backend === 'native';
const DTYPES: DType[] = ['float64', 'float32', 'int32', 'bool'];

type Outcome = { ok: true } | { ok: false; why: string };
const fail = (why: string): Outcome => ({ ok: false, why });

const same = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));

/** Accepted data must be the reading's numbers exactly (float32 rounding only where allowed). */
function matches(got: NDArray, reading: Reading, roundOk: boolean): string | null {
  if (got.shape.join() !== reading.shape.join()) return `shape (${got.shape}) instead of (${reading.shape})`;
  for (let i = 0; i < reading.values.length; i++) {
    const want = reading.values[i];
    const g = got.data[i];
    if (same(g, want) || (roundOk && got.dtype === 'float32' && same(g, Math.fround(want)))) continue;
    return `element ${i} is ${g} (${got.dtype}), the value was ${want}`;
  }
  return null;
}

function refusedWell(e: unknown, mustName: string): Outcome {
  if (!(e instanceof Error)) return fail(`threw a non-Error: ${String(e)}`);
  if (!e.message.includes(mustName)) return fail(`error does not name ${mustName}: ${e.message}`);
  return { ok: true };
}

function sumOf(a: NDArray): number {
  let s = 0;
  for (const v of a.data) s += v;
  return s;
}

async function viaFunction(r: Rng, m: Malformed): Promise<Outcome> {
  const dtype = r.pick(DTYPES);
  const ndim = m.reading && r.chance(0.7) ? Math.min(m.reading.shape.length, 2) : r.int(0, 2);
  const x = T.tensor(dtype, new Array(ndim).fill(false), 'x');
  const acc = shared(0, 'acc', { dtype: 'float64' });
  const backend = native && r.chance(0.5) ? 'native' : 'js';
  const f = fn([x], [x, T.sum(x.astype('float64'))], { backend, name: 'probe', updates: [[acc, T.add(acc, T.sum(x.astype('float64')))]] });
  const useAsync = r.chance(0.3);
  const argc = r.weighted([[12, 1], [1, 0], [1, 2]] as const);
  const args = argc === 1 ? [m.value] : argc === 0 ? [] : [m.value, m.value];
  let out: NDArray[];
  try {
    out = useAsync ? await f.async(...args) : f(...args);
  } catch (e) {
    if (acc.getValue().item() !== 0) return fail(`a refused call changed acc to ${acc.getValue().item()}`);
    return refusedWell(e, "fn 'probe'");
  }
  const where = `${backend}${useAsync ? ' async' : ''} ${dtype} ${ndim}-d input`;
  if (argc !== 1) return fail(`${where}: a call with ${argc} arguments was accepted`);
  if (!m.reading) return fail(`${where}: accepted a value that must be refused`);
  if (m.reading.shape.length !== ndim) return fail(`${where}: accepted a ${m.reading.shape.length}-d value`);
  const bad = matches(out[0], m.reading, !m.reading.typed);
  if (bad) return fail(`${where}: ${bad}`);
  const total = sumOf(out[0]);
  const accNow = acc.getValue().item();
  if (!same(accNow, total) && !(Math.abs(accNow - total) <= 1e-9 * Math.abs(total))) return fail(`${where}: acc is ${accNow}, expected ${total}`);
  return { ok: true };
}

function viaShared(r: Rng, m: Malformed): Outcome {
  const dtype = r.chance(0.5) ? r.pick(DTYPES) : undefined;
  let s: SharedVariable;
  try {
    s = shared(m.value as never, 'p', dtype ? { dtype } : {});
  } catch (e) {
    return refusedWell(e, 'shared(p)');
  }
  if (!m.reading) return fail(`shared(${dtype ?? 'no dtype'}) accepted a value that must be refused`);
  const bad = matches(s.getValue(), m.reading, true);
  return bad ? fail(`shared(${dtype ?? 'no dtype'}): ${bad}`) : { ok: true };
}

function viaSetValue(r: Rng, m: Malformed): Outcome {
  const dtype = r.pick(DTYPES);
  const ndim = m.reading && r.chance(0.7) ? m.reading.shape.length : r.int(0, 2);
  const init = new NDArray(new (dtype === 'float64' ? Float64Array : dtype === 'float32' ? Float32Array : dtype === 'int32' ? Int32Array : Uint8Array)(2 ** ndim), new Array(ndim).fill(2), dtype);
  init.data.fill(1);
  const s = shared(init, 'q', { dtype });
  try {
    s.setValue(m.value as never);
  } catch (e) {
    const now = s.getValue();
    if (now.shape.join() !== init.shape.join() || now.data.some((v) => v !== 1)) return fail('a refused setValue changed the value');
    return refusedWell(e, 'setValue of shared variable q');
  }
  const where = `setValue into ${dtype} ${ndim}-d`;
  if (!m.reading) return fail(`${where}: accepted a value that must be refused`);
  if (m.reading.shape.length !== ndim) return fail(`${where}: accepted a ${m.reading.shape.length}-d value`);
  const bad = matches(s.getValue(), m.reading, !m.reading.typed);
  return bad ? fail(`${where}: ${bad}`) : { ok: true };
}

/** Lengths computed from values: arange of a float scalar, including NaN and infinities. */
function viaArange(r: Rng): { text: string; outcome: Outcome } {
  const stop = r.pick([NaN, Infinity, -Infinity, 1e300, 1e15, -5, 0, 3.5, 7]);
  const n = T.dscalar('n');
  const backend = native && r.chance(0.5) ? 'native' : 'js';
  const f = fn([n], T.arange(n), { backend, name: 'ramp' });
  let out: NDArray;
  try {
    out = f(stop);
  } catch (e) {
    if (Number.isFinite(stop) && stop < 1e6) return { text: `arange(${stop})`, outcome: fail(`refused a small length: ${(e as Error).message}`) };
    return { text: `arange(${stop})`, outcome: refusedWell(e, "fn 'ramp'") };
  }
  const len = Math.max(0, Math.ceil(stop));
  const ok = out.size === len && out.data.every((v, i) => v === i);
  return { text: `arange(${stop})`, outcome: ok ? { ok: true } : fail(`got ${out.size} values for arange(${stop})`) };
}

/**
 * Values read at run time by kernels that may fail: an index, an index vector, a reshape
 * length. Out of range must be an Error naming the function with the shared variable
 * unchanged (the call's update doubles it); in range, the right element.
 */
async function viaRuntimeValues(r: Rng): Promise<{ text: string; outcome: Outcome }> {
  const n = r.int(0, 4);
  const w = shared(new NDArray(Float64Array.from({ length: n }, (_, k) => k + 1), [n]), 'w');
  const backend = native && r.chance(0.5) ? 'native' : 'js';
  const useAsync = r.chance(0.3);
  const kind = r.pick(['scalar', 'vector', 'reshape'] as const);
  const pickInt = () => r.pick([0, 1, -1, n - 1, n, -n, -n - 1, 2147483647, -2147483648, r.int(-6, 6)]);
  let f: ReturnType<typeof fn>;
  let arg: unknown;
  let expected: number[] | null;
  if (kind === 'scalar') {
    const i = T.iscalar('i');
    f = fn([i], w.get(i), { backend, name: 'pick', updates: [[w, T.mul(w, 2)]] });
    const k = pickInt();
    arg = k;
    expected = k >= -n && k < n ? [(k < 0 ? k + n : k) + 1] : null;
  } else if (kind === 'vector') {
    const idx = T.ivector('idx');
    f = fn([idx], w.get(idx), { backend, name: 'pick', updates: [[w, T.mul(w, 2)]] });
    const ks = Array.from({ length: r.int(0, 3) }, pickInt);
    arg = Int32Array.from(ks);
    expected = ks.every((k) => k >= -n && k < n) ? ks.map((k) => (k < 0 ? k + n : k) + 1) : null;
  } else {
    const rows = T.iscalar('rows');
    f = fn([rows], T.reshape(w, [rows, -1]).sum(1), { backend, name: 'pick', updates: [[w, T.mul(w, 2)]] });
    // A huge row count is only tried where it cannot divide (an empty w would make it a 16 GB result).
    const k = r.pick([0, 1, 2, -1, n, 3, n > 0 ? 2147483647 : 2]);
    arg = k;
    // rows must divide n; an empty w reshaped to (0, -1) is taken as (0, 0) (numpy refuses it
    // as ambiguous; any length is right, and the result, a sum over no rows, is [] either way).
    expected = k === 0 && n === 0 ? [] : k > 0 && n % k === 0 ? Array.from({ length: k }, (_, row) => {
      let s = 0;
      for (let c = 0; c < n / k; c++) s += row * (n / k) + c + 1;
      return s;
    }) : null;
  }
  const text = `${kind} ${JSON.stringify(Array.from(ArrayBuffer.isView(arg) ? (arg as Int32Array) : [arg as number]))} into ${n} elements on ${backend}${useAsync ? ' async' : ''}`;
  let out: NDArray;
  try {
    out = (useAsync ? await f.async(arg) : f(arg)) as NDArray;
  } catch (e) {
    const now = Array.from(w.getValue().data);
    if (now.some((v, k) => v !== k + 1)) return { text, outcome: fail(`a failed call changed w to [${now}]`) };
    if (expected) return { text, outcome: fail(`refused a valid value: ${(e as Error).message}`) };
    return { text, outcome: refusedWell(e, "fn 'pick'") };
  }
  if (!expected) return { text, outcome: fail(`accepted an out-of-range value, returned [${Array.from(out.data)}]`) };
  const got = Array.from(out.data);
  if (got.join() !== expected.join()) return { text, outcome: fail(`returned [${got}], expected [${expected}]`) };
  const now = Array.from(w.getValue().data);
  if (now.some((v, k) => v !== 2 * (k + 1))) return { text, outcome: fail(`the update gave [${now}]`) };
  return { text, outcome: { ok: true } };
}

const counts: Record<string, number> = { fn: 0, shared: 0, setValue: 0, arange: 0, runtime: 0 };
let failures = 0;
for (let seed = first; seed < first + count; seed++) {
  process.stdout.write(`start ${seed}\n`);
  const r = new Rng(seed);
  const consumer = r.weighted([[5, 'fn'], [2, 'shared'], [3, 'setValue'], [1, 'arange'], [2, 'runtime']] as const);
  counts[consumer]++;
  let text: string;
  let outcome: Outcome;
  try {
    if (consumer === 'arange') ({ text, outcome } = viaArange(r));
    else if (consumer === 'runtime') ({ text, outcome } = await viaRuntimeValues(r));
    else {
      const m = malformed(r);
      text = m.text;
      outcome = consumer === 'fn' ? await viaFunction(r, m) : consumer === 'shared' ? viaShared(r, m) : viaSetValue(r, m);
    }
  } catch (e) {
    text = '(driver)';
    outcome = fail(`unexpected: ${(e as Error).stack}`);
  }
  if (!outcome.ok) {
    failures++;
    process.stdout.write(`failure ${JSON.stringify({ seed, consumer, value: text.slice(0, 200), why: outcome.why.slice(0, 500) })}\n`);
  }
}
process.stdout.write(`summary ${JSON.stringify({ cases: count, failures, ...counts, native })}\n`);
