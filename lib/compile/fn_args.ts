/**
 * Checks of fn()'s arguments and calls that Theano users expect: updates and givens as pairs or
 * a Map (a plain object cannot key by variable), givens of a compatible dtype, inputs the outputs
 * do not use (onUnusedInput), and calls by input name, f({ x: X, y: Y }).
 */
import { Variable } from '../graph/variable.js';
import { isWeak } from '../graph/as_variable.js';
import { NDArray } from '../ndarray/ndarray.js';
import { DType, canCastSafely } from '../ndarray/dtype.js';
import { config } from '../config.js';

export type UnusedInputMode = 'raise' | 'warn' | 'ignore';

/** Pairs or a Map; anything else (a plain object in particular) gets an error saying so. */
export function entriesOf<K, V>(value: unknown, what: 'updates' | 'givens', where: string): [K, V][] {
  if (value instanceof Map) return [...value.entries()] as [K, V][];
  if (Array.isArray(value)) return [...value] as [K, V][];
  const got = value === null ? 'null' : typeof value === 'object' ? 'a plain object' : typeof value;
  const key = what === 'updates' ? 'sharedVariable' : 'variable';
  throw new TypeError(
    `${where}: ${what} must be a list of [${key}, expression] pairs or a Map, got ${got}` +
      (got === 'a plain object' ? ` (object keys are strings, so they cannot name variables); use [[${key}, expr], ...] or new Map([[${key}, expr]])` : ''),
  );
}

const describeVar = (v: Variable) => `${v.name ? `'${v.name}'` : v.toString()} (${v.type.describe()})`;

/**
 * The dtype rule for a givens replacement, the same as for inputs: the same dtype, a safe cast,
 * float64 for float32 when floatX is float32 (unless allowInputDowncast is false), a bare JS
 * number, or anything with allowInputDowncast: true. Returns whether a cast is needed.
 */
export function checkGivenDType(key: Variable, value: Variable, i: number, where: string, allowDowncast: boolean | undefined): boolean {
  const from: DType = value.dtype;
  const to: DType = key.dtype;
  if (from === to) return false;
  const ok = allowDowncast === true || isWeak(value) || canCastSafely(from, to) || (allowDowncast !== false && from === 'float64' && to === 'float32' && to === config.floatX);
  if (!ok) {
    throw new TypeError(
      `${where}: givens ${i}: cannot replace ${describeVar(key)} with ${describeVar(value)}: ` +
        `${from} cannot be cast to ${to} safely; cast the replacement with .astype('${to}') or pass allowInputDowncast: true`,
    );
  }
  return true;
}

/** Inputs that no output, update or givens replacement reaches, by Theano's on_unused_input rule. */
export function checkUnusedInputs(inputs: readonly Variable[], roots: readonly Variable[], givens: Map<Variable, Variable>, mode: UnusedInputMode, where: string): void {
  if (mode === 'ignore' || inputs.length === 0) return;
  if (mode !== 'raise' && mode !== 'warn') throw new TypeError(`${where}: onUnusedInput must be 'raise', 'warn' or 'ignore', got ${JSON.stringify(mode)}`);
  const seen = new Set<Variable>();
  const stack = [...roots];
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    const r = givens.get(v);
    if (r) {
      stack.push(r);
      continue;
    }
    if (v.owner) stack.push(...v.owner.inputs);
  }
  inputs.forEach((v, i) => {
    if (seen.has(v) && !givens.has(v)) return;
    const msg = `${where}: input ${i}${v.name ? ` (${v.name})` : ''} is not used by any output or update`;
    if (mode === 'raise') throw new Error(`${msg}; to allow it, pass onUnusedInput: 'warn' or 'ignore'`);
    process.emitWarning(msg);
  });
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v) && !(v instanceof NDArray) && Object.getPrototypeOf(v) === Object.prototype;

/**
 * f({ x: X, y: Y }): one plain object whose keys are the inputs' names, turned into the
 * positional arguments. No input value is a plain object, so the two forms cannot be confused.
 */
export function keywordArguments(inputs: readonly Variable[], args: unknown[], where: string): unknown[] {
  if (args.length !== 1 || !isPlainObject(args[0]) || inputs.length === 0) return args;
  const byName = args[0];
  const names = inputs.map((v) => v.name);
  inputs.forEach((v, i) => {
    if (!v.name) throw new TypeError(`${where}: called with named arguments, but input ${i} has no name; name it (T.matrix('x')) or pass the arguments in order`);
    if (names.indexOf(v.name) !== i) throw new TypeError(`${where}: called with named arguments, but two inputs are named '${v.name}'`);
  });
  const unknown = Object.keys(byName).filter((k) => !names.includes(k));
  if (unknown.length) throw new TypeError(`${where}: no input named ${unknown.map((k) => `'${k}'`).join(', ')}; the inputs are ${names.map((n) => `'${n}'`).join(', ')}`);
  const missing = names.filter((n) => !(n! in byName));
  if (missing.length) throw new TypeError(`${where}: missing argument(s) ${missing.map((n) => `'${n}'`).join(', ')}`);
  return names.map((n) => byName[n!]);
}
