/**
 * Malformed and unusual values for compiled functions, shared() and setValue(), each with its
 * reference reading: the shape and exact numbers it stands for, or null when it must be refused.
 */
import { NDArray } from '../../lib/index.js';
import { Rng } from './random.js';

export interface Reading {
  shape: number[];
  values: number[];
  /** Typed arrays and NDArrays carry a dtype; plain JS numbers do not. */
  typed: boolean;
}

export interface Malformed {
  text: string;
  value: unknown;
  /** null: every consumer must refuse it. */
  reading: Reading | null;
}

const SPECIAL = [0, -0, 1, -1, 0.5, -2.5, 3, 255, 256, 65535, 2147483647, -2147483648, 2147483648, 4294967295, 1e10, -1e10, 1e300, 5e-324, NaN, Infinity, -Infinity];

function numberLike(r: Rng): number | boolean {
  return r.weighted([
    [6, () => r.int(-3, 3)],
    [3, () => Math.round(r.normal() * 100) / 8],
    [3, () => r.pick(SPECIAL)],
    [1, () => r.chance(0.5)],
  ] as const)();
}

function randomShape(r: Rng): number[] {
  const nd = r.int(0, 3);
  return Array.from({ length: nd }, () => r.weighted([[1, 0], [2, 1], [3, 2], [2, 3]] as const));
}

function nest(flat: unknown[], shape: number[]): unknown {
  if (shape.length === 0) return flat[0];
  const [n, ...rest] = shape;
  const step = rest.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, (_, i) => nest(flat.slice(i * step, (i + 1) * step), rest));
}

const TYPED = ['Float64Array', 'Float32Array', 'Int32Array', 'Uint8Array', 'Int8Array', 'Int16Array', 'Uint16Array', 'Uint32Array', 'Uint8ClampedArray', 'BigInt64Array', 'BigUint64Array'] as const;

function typedArray(r: Rng): Malformed {
  const kind = r.pick(TYPED);
  const n = r.int(0, 6);
  const ctor = (globalThis as Record<string, unknown>)[kind] as new (n: number) => ArrayLike<number | bigint> & Record<number, number | bigint>;
  const a = new ctor(n);
  const big = kind.startsWith('Big');
  for (let i = 0; i < n; i++) {
    const v = Math.trunc(Number(numberLike(r)) || 0);
    const x = Number.isFinite(v) ? v : 0;
    // BigUint64 and unsigned kinds wrap negatives on store, which is what their values then are.
    a[i] = big ? BigInt.asIntN(64, BigInt(Math.trunc(x))) : x;
    if (kind === 'BigUint64Array') a[i] = BigInt.asUintN(64, BigInt(Math.trunc(x)));
  }
  const values = Array.from(a as ArrayLike<number | bigint>, (v) => Number(v));
  const fits = values.every((v) => v >= -2147483648 && v <= 2147483647);
  const exactKind = ['Float64Array', 'Float32Array', 'Int32Array', 'Uint8Array', 'Int8Array', 'Int16Array', 'Uint16Array', 'Uint8ClampedArray'].includes(kind);
  const ok = exactKind || fits;
  return { text: `${kind}[${values}]`, value: a, reading: ok ? { shape: [n], values, typed: true } : null };
}

function nested(r: Rng): Malformed {
  const shape = randomShape(r);
  const n = shape.reduce((a, b) => a * b, 1);
  const flat: unknown[] = Array.from({ length: n }, () => numberLike(r));
  let value = nest(flat, shape);
  // An empty outer axis hides the inner ones ([] is shape (0,)): read the value itself.
  let reading = readNested(value);
  let text = JSON.stringify(value);
  const spoil = r.chance(0.35) && Array.isArray(value) && n > 0;
  if (spoil) {
    const how = r.pick(['ragged', 'string', 'null', 'undefined', 'object', 'hole', 'extra-depth']);
    const path: number[] = [];
    let node = value as unknown[];
    while (Array.isArray(node[0]) && r.chance(0.7)) {
      path.push(0);
      node = node[0] as unknown[];
    }
    const bad: Record<string, () => void> = {
      ragged: () => node.pop(),
      string: () => (node[0] = '1'),
      null: () => (node[0] = null),
      undefined: () => (node[0] = undefined),
      object: () => (node[0] = { valueOf: () => 1 }),
      hole: () => {
        node.length += 1;
      },
      'extra-depth': () => (node[0] = [node[0]]),
    };
    bad[how]();
    text = `${how} at [${path}] of ${text}`;
    // Some edits leave a regular array (e.g. [x] popped to []): read it again from scratch.
    reading = readNested(value);
  }
  return { text, value, reading };
}

/** The reference reading of nested JS arrays: regular, numbers and booleans only, at most 64 deep. */
export function readNested(value: unknown): Reading | null {
  const shape: number[] = [];
  let probe = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (shape.length > 64) return null;
    if (probe.length === 0) break;
    probe = probe[0];
  }
  const values: number[] = [];
  const walk = (x: unknown, depth: number): boolean => {
    if (depth === shape.length) {
      if (typeof x !== 'number' && typeof x !== 'boolean') return false;
      values.push(Number(x));
      return true;
    }
    if (!Array.isArray(x) || x.length !== shape[depth]) return false;
    for (let i = 0; i < x.length; i++) if (!(i in x) || !walk(x[i], depth + 1)) return false;
    return true;
  };
  return walk(value, 0) ? { shape, values, typed: false } : null;
}

function deep(r: Rng): Malformed {
  const depth = r.pick([65, 200, 3000, 20000]);
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return { text: `nested ${depth} deep`, value: v, reading: null };
}

function ndarray(r: Rng): Malformed {
  const shape = randomShape(r);
  const n = shape.reduce((a, b) => a * b, 1);
  const dtype = r.pick(['float64', 'float32', 'int32', 'bool'] as const);
  const make = { float64: Float64Array, float32: Float32Array, int32: Int32Array, bool: Uint8Array }[dtype];
  const data = make.from({ length: n }, () => (dtype === 'bool' ? r.int(0, 1) : dtype === 'int32' ? r.int(-5, 5) : r.normal()));
  const a = new NDArray(data, shape, dtype);
  if (!r.chance(0.4)) return { text: `NDArray ${dtype}(${shape})`, value: a, reading: { shape, values: Array.from(data), typed: true } };
  const how = r.pick(['short', 'long', 'kind', 'shape-negative', 'shape-junk', 'not-typed']);
  const m = a as unknown as Record<string, unknown>;
  if (how === 'short') m.data = data.subarray(0, Math.max(0, n - 1 - r.int(0, 2)));
  if (how === 'long') m.data = new make(n + 1 + r.int(0, 3));
  if (how === 'kind') m.data = new (dtype === 'float64' ? Float32Array : Float64Array)(n);
  if (how === 'shape-negative') m.shape = [-1, ...shape];
  if (how === 'shape-junk') m.shape = r.pick([null, 'abc', [NaN], [1.5], {}]);
  if (how === 'not-typed') m.data = Array.from(data);
  // A short or long replacement of an empty array may happen to fit; then it is fine.
  const fits = (how === 'short' || how === 'long') && (m.data as ArrayLike<number>).length === n;
  return { text: `NDArray ${dtype}(${shape}) with ${how}`, value: a, reading: fits ? { shape, values: Array.from(m.data as ArrayLike<number>), typed: true } : null };
}

function junk(r: Rng): Malformed {
  const items: [string, () => unknown][] = [
    ['string', () => '1,2'],
    ['null', () => null],
    ['undefined', () => undefined],
    ['object', () => ({ length: 2, 0: 1, 1: 2 })],
    ['function', () => () => 1],
    ['symbol', () => Symbol('x')],
    ['bigint', () => 5n],
    ['Map', () => new Map([[0, 1]])],
    ['ArrayBuffer', () => new ArrayBuffer(8)],
    ['DataView', () => new DataView(new ArrayBuffer(8))],
    ['Promise', () => Promise.resolve(1)],
    ['Date', () => new Date(0)],
  ];
  const [text, make] = r.pick(items);
  return { text, value: make(), reading: null };
}

function scalarLike(r: Rng): Malformed {
  const v = numberLike(r);
  return { text: String(v), value: v, reading: { shape: [], values: [Number(v)], typed: false } };
}

export function malformed(r: Rng): Malformed {
  return r.weighted([
    [4, typedArray],
    [4, nested],
    [1, deep],
    [4, ndarray],
    [2, junk],
    [3, scalarLike],
  ] as const)(r);
}
