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

const counts: Record<string, number> = { fn: 0, shared: 0, setValue: 0, arange: 0 };
let failures = 0;
for (let seed = first; seed < first + count; seed++) {
  process.stdout.write(`start ${seed}\n`);
  const r = new Rng(seed);
  const consumer = r.weighted([[5, 'fn'], [2, 'shared'], [3, 'setValue'], [1, 'arange']] as const);
  counts[consumer]++;
  let text: string;
  let outcome: Outcome;
  try {
    if (consumer === 'arange') ({ text, outcome } = viaArange(r));
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
