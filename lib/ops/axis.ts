/**
 * Axis arguments as Theano accepts them: an integer (negative counts from the end), a list of
 * integers, null or undefined for every axis, or an options object `{ axis, keepdims }` (the
 * form Theano's keyword arguments take in JavaScript). Anything else is a TypeError that says
 * what was expected.
 */
export interface AxisOptions {
  axis?: number | readonly number[] | null;
  keepdims?: boolean;
}
export type AxisArg = number | readonly number[] | null | undefined | AxisOptions;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map((e) => (typeof e === 'number' ? String(e) : describe(e))).join(', ')}]`;
  if (typeof v === 'object') return `an object with keys {${Object.keys(v as object).join(', ')}}`;
  return typeof v === 'string' ? JSON.stringify(v) : `${typeof v} ${String(v)}`;
}

export function isAxisOptions(v: unknown): v is AxisOptions {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/** Unpacks `f(x, { axis, keepdims })` into the positional form `f(x, axis, keepdims)`. */
export function axisAndKeepdims(axis: AxisArg, keepdims: boolean | undefined, where: string): { axis: number | readonly number[] | null | undefined; keepdims: boolean } {
  if (!isAxisOptions(axis)) return { axis, keepdims: keepdims ?? false };
  const unknown = Object.keys(axis).filter((k) => k !== 'axis' && k !== 'keepdims');
  if (unknown.length) throw new TypeError(`${where}: unknown option ${unknown.map((k) => JSON.stringify(k)).join(', ')}; expected { axis, keepdims }`);
  if (axis.keepdims !== undefined && typeof axis.keepdims !== 'boolean') throw new TypeError(`${where}: keepdims must be a boolean, got ${describe(axis.keepdims)}`);
  return { axis: axis.axis, keepdims: axis.keepdims ?? keepdims ?? false };
}

/**
 * The axes an argument names, each in [0, ndim), sorted; null for "every axis". `allowList:
 * false` for ops that take one axis (argmax, cumsum, sort).
 */
export function normalizeAxisArg(axis: unknown, ndim: number, where: string, opts: { allowList?: boolean } = {}): number[] | null {
  const allowList = opts.allowList ?? true;
  if (isAxisOptions(axis)) {
    const unknown = Object.keys(axis).filter((k) => k !== 'axis');
    if (unknown.length) throw new TypeError(`${where}: unknown option ${unknown.map((k) => JSON.stringify(k)).join(', ')}; expected { axis }`);
    axis = (axis as AxisOptions).axis;
  }
  if (axis === null || axis === undefined) return null;
  const expected = allowList ? 'an integer, a list of integers, null, or { axis }' : 'an integer, null, or { axis }';
  const one = (a: unknown): number => {
    if (typeof a !== 'number' || !Number.isInteger(a)) throw new TypeError(`${where}: axis must be ${expected}; got ${describe(axis)}`);
    if (a < -ndim || a >= ndim) throw new RangeError(`${where}: axis ${a} is out of range for a ${ndim}-d input (valid: ${-ndim} to ${ndim - 1})`);
    return a < 0 ? a + ndim : a;
  };
  if (Array.isArray(axis)) {
    if (!allowList && axis.length !== 1) throw new TypeError(`${where}: takes a single axis; got ${describe(axis)}`);
    const out = axis.map(one);
    if (new Set(out).size !== out.length) throw new Error(`${where}: duplicate axis in ${describe(axis)}`);
    return out.sort((a, b) => a - b);
  }
  return [one(axis)];
}
