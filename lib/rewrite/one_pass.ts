/**
 * Which products lib/compile/rowpass.ts will fuse into one pass over X: a pair Z = X·W and
 * X^T·G where G is computed from Z by row-local ops only (elementwise ops, the softmax family:
 * whatever lib/ops declares `rowLocal`; shape readers count as independent of Z). BLAS insertion
 * leaves both products of such a pair alone.
 *
 * Each pair is first decided locally: walk back from G through row-local nodes; Z must be among
 * the inputs met, and no other input met, made by an op that is not row-local, may depend on Z
 * (a short search, since such an input either comes before Z or reaches it within a few nodes
 * in the graphs differentiation makes). Pairs the local walk cannot settle within a small budget
 * are decided together in one sweep over the graph with one bit per Z, which costs
 * (nodes × those pairs / 32) word operations.
 */
import type { Apply, Variable } from '../graph/variable.js';
import type { FunctionGraph } from '../graph/fgraph.js';
import { Dot } from '../ops/dot.js';
import { kernelFor, kernelRowLocal } from '../ops/kernel.js';

/** Nodes one local decision may visit before the pair is left to the sweep. */
const BUDGET = 512;

const isPlainDot = (n: Apply, transA: boolean) => n.op instanceof Dot && n.op.transA === transA && !n.op.transB;

interface KernelFacts {
  rowLocal: boolean;
  shapeOnly: boolean;
}

/** The kernel properties of graph nodes, read from the declarations in lib/ops (memoised). */
function kernelFacts(): (node: Apply) => KernelFacts {
  const memo = new Map<Apply, KernelFacts>();
  return (node) => {
    let f = memo.get(node);
    if (!f) {
      const { opcode, attrs } = node.op.lower(node);
      memo.set(node, (f = { rowLocal: kernelRowLocal(opcode, attrs), shapeOnly: !!kernelFor(opcode).shapeOnly }));
    }
    return f;
  };
}

/** Pairs (X·W, X^T·G) over the same matrix X, with W and G of the same rank (1 or 2). */
function candidatePairs(fg: FunctionGraph): [Apply, Apply][] {
  const pairs: [Apply, Apply][] = [];
  for (const d1 of fg.nodes) {
    if (!isPlainDot(d1, false)) continue;
    const [a, b] = d1.inputs;
    if (a.ndim !== 2 || (b.ndim !== 1 && b.ndim !== 2)) continue;
    for (const d2 of fg.eachReader(a)) if (isPlainDot(d2, true) && d2.inputs[0] === a && d2.inputs[1].ndim === b.ndim) pairs.push([d1, d2]);
  }
  return pairs;
}

/** The dot nodes that are halves of a pair the one-pass rewrite fuses. */
export function onePassProducts(fg: FunctionGraph): Set<Apply> {
  const found = new Set<Apply>();
  const facts = kernelFacts();
  const undecided: [Apply, Apply][] = [];
  for (const pair of candidatePairs(fg)) {
    const r = decideLocally(fg, pair[0].outputs[0], pair[1].inputs[1], facts);
    if (r === null) undecided.push(pair);
    else if (r) pair.forEach((n) => found.add(n));
  }
  if (undecided.length) for (const pair of decideBySweep(fg, undecided, facts)) pair.forEach((n) => found.add(n));
  return found;
}

/** Both ways of deciding every candidate pair (for tests: they must agree where the local walk decides). */
export function onePassDecisions(fg: FunctionGraph): { pair: [Apply, Apply]; local: boolean | null; sweep: boolean }[] {
  const facts = kernelFacts();
  const pairs = candidatePairs(fg);
  const bySweep = new Set(decideBySweep(fg, pairs, facts));
  return pairs.map((pair) => ({ pair, local: decideLocally(fg, pair[0].outputs[0], pair[1].inputs[1], facts), sweep: bySweep.has(pair) }));
}

/** Whether g is made from z by row-local ops only; null when the budget ran out first. */
function decideLocally(fg: FunctionGraph, z: Variable, g: Variable, facts: (n: Apply) => KernelFacts): boolean | null {
  if (g === z) return true;
  if (!g.owner || !facts(g.owner).rowLocal || facts(g.owner).shapeOnly) return false;
  let budget = BUDGET;
  let reachesZ = false;
  const others: Variable[] = [];
  const seen = new Set<Apply>([g.owner]);
  const stack = [g.owner];
  while (stack.length) {
    if (--budget < 0) return null;
    for (const v of stack.pop()!.inputs) {
      if (v === z) reachesZ = true;
      else if (v.owner && !seen.has(v.owner)) {
        const f = facts(v.owner);
        if (f.shapeOnly) continue;
        seen.add(v.owner);
        if (f.rowLocal) stack.push(v.owner);
        else others.push(v);
      }
    }
  }
  if (!reachesZ) return false;
  for (const v of others) {
    if (!fg.before(z.owner!, v.owner!)) continue;
    const d = dependsOn(fg, v, z, facts, budget);
    if (d === null) return null;
    if (d.found) return false;
    budget = d.budget;
  }
  return true;
}

/** Whether v depends on z other than through shape readers, searching nodes after z's first. */
function dependsOn(fg: FunctionGraph, v: Variable, z: Variable, facts: (n: Apply) => KernelFacts, budget: number): { found: boolean; budget: number } | null {
  const start = z.owner!;
  const seen = new Set<Apply>([v.owner!]);
  const stack = [v.owner!];
  while (stack.length) {
    if (--budget < 0) return null;
    for (const u of stack.pop()!.inputs) {
      if (u === z) return { found: true, budget };
      const o = u.owner;
      if (!o || seen.has(o) || facts(o).shapeOnly || !fg.before(start, o)) continue;
      seen.add(o);
      stack.push(o);
    }
  }
  return { found: false, budget };
}

/**
 * The same decision for many pairs at once: in topological order, `dep` marks the Zs a
 * variable depends on and `mixed` those it depends on through an op that is not row-local.
 * G qualifies for Z when Z is in dep(G) and not in mixed(G).
 */
function decideBySweep(fg: FunctionGraph, pairs: [Apply, Apply][], facts: (n: Apply) => KernelFacts): [Apply, Apply][] {
  const bitOf = new Map<Apply, number>();
  for (const [d1] of pairs) if (!bitOf.has(d1)) bitOf.set(d1, bitOf.size);
  const words = Math.ceil(bitOf.size / 32);
  const dep = new Map<Variable, Uint32Array>();
  const mixed = new Map<Variable, Uint32Array>();
  const or = (into: Uint32Array | null, from: Uint32Array | undefined): Uint32Array | null => {
    if (!from) return into;
    const r = into ?? new Uint32Array(words);
    for (let w = 0; w < words; w++) r[w] |= from[w];
    return r;
  };
  for (const node of fg.nodes) {
    const f = facts(node);
    if (f.shapeOnly) continue;
    let d: Uint32Array | null = null;
    let m: Uint32Array | null = null;
    for (const v of node.inputs) {
      d = or(d, dep.get(v));
      m = or(m, f.rowLocal ? mixed.get(v) : dep.get(v));
    }
    const bit = bitOf.get(node);
    if (bit !== undefined) {
      // Z itself: it depends on itself row-locally; what its inputs depend on is mixed.
      m = d ? d.slice() : null;
      d ??= new Uint32Array(words);
      d[bit >> 5] |= 1 << (bit & 31);
    }
    for (const o of node.outputs) {
      if (d) dep.set(o, d);
      if (m) mixed.set(o, m);
    }
  }
  const has = (bits: Uint32Array | undefined, i: number) => !!bits && (bits[i >> 5] & (1 << (i & 31))) !== 0;
  return pairs.filter(([d1, d2]) => {
    const i = bitOf.get(d1)!;
    const g = d2.inputs[1];
    return has(dep.get(g), i) && !has(mixed.get(g), i);
  });
}
