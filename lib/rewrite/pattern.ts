/** Small matchers and builders that the rewrites share. */
import { Constant, Variable } from '../graph/variable.js';
import { Elemwise, applyElemwise as ew } from '../ops/elemwise.js';
import type { FunctionGraph } from '../graph/fgraph.js';
import type { Apply } from '../graph/variable.js';
import type { Op } from '../graph/op.js';

/** An op class, as `instanceof` takes it. */
export type OpClass = abstract new (...args: never[]) => Op;

/**
 * What a rewrite looks at (PyTensor's `tracks`): nodes of these op classes, and elementwise
 * nodes of a single scalar op with one of these names; 'all' for every node. The driver tries
 * a rewrite only on the nodes it tracks.
 */
export type Tracks = readonly (OpClass | string)[] | 'all';

/** A local rewrite: replacements for node's outputs, or null when it does not apply. */
export interface LocalRewrite {
  (node: Apply, fg: FunctionGraph): Variable[] | null;
  readonly rewriteName: string;
  readonly tracks: Tracks;
}

export function named(name: string, tracks: Tracks, f: (node: Apply, fg: FunctionGraph) => Variable[] | null): LocalRewrite {
  return Object.assign(f, { rewriteName: name, tracks });
}

/** The name of the scalar op of a single-step elementwise op, else null. */
export function scalarName(op: Op): string | null {
  return op instanceof Elemwise && op.steps.length === 1 ? op.steps[0].op : null;
}

/** The inputs of v's node when it is the single scalar op `name`, else null. */
export function elem(v: Variable, name: string): Variable[] | null {
  const node = v.owner;
  return node && scalarName(node.op) === name ? node.inputs : null;
}

/** The value every element of a constant has, or null (not a constant, or not uniform). */
export function constValue(v: Variable): number | null {
  if (!(v instanceof Constant) || v.value.size === 0) return null;
  const d = v.value.data;
  const first = d[0];
  for (let i = 1; i < d.length; i++) if (d[i] !== first) return null;
  return first;
}

export function isConst(v: Variable, value: number): boolean {
  return constValue(v) === value;
}

/** u such that v == -u, built without a double negation where the structure allows. */
export function negated(v: Variable): Variable {
  const n = elem(v, 'neg');
  if (n) return n[0];
  const s = elem(v, 'sub');
  if (s) {
    const a = elem(s[0], 'neg');
    if (a) return ew('add', [a[0], s[1]]);
    return ew('sub', [s[1], s[0]]);
  }
  const m = elem(v, 'mul');
  if (m) {
    if (isConst(m[0], -1)) return m[1];
    if (isConst(m[1], -1)) return m[0];
  }
  return ew('neg', [v]);
}

/** `candidate` when it can stand in for `old` (same dtype and static shape pattern), else null. */
export function sameType(old: Variable, candidate: Variable): Variable | null {
  if (candidate.dtype !== old.dtype) {
    if (candidate.ndim !== old.ndim) return null;
    candidate = ew('cast', [candidate], old.dtype);
  }
  if (candidate.ndim !== old.ndim || !candidate.broadcastable.every((b, i) => b === old.broadcastable[i])) return null;
  return candidate;
}

/** The replacement list for a rewrite of a single-output node, if the types fit. */
export function maybe(old: Variable, candidate: Variable): Variable[] | null {
  const r = sameType(old, candidate);
  return r ? [r] : null;
}
