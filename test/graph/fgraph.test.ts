/**
 * FunctionGraph keeps its readers and its order up to date as it changes: after every replace of
 * a random sequence, both equal what a from-scratch walk of the graph gives, and the listeners
 * heard of exactly the nodes that came and went.
 */
import { describe, expect, it } from 'vitest';
import * as T from '../../lib/tensor/index.js';
import { FunctionGraph, toposort } from '../../lib/graph/fgraph.js';
import { applyElemwise as ew } from '../../lib/ops/elemwise.js';
import { Apply, Variable } from '../../lib/graph/variable.js';

/** Small deterministic generator (the tests must not depend on Math.random). */
function lcg(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 2 ** 32) * n);
  };
}

const UNARY = ['neg', 'exp', 'tanh', 'sqr'];
const BINARY = ['add', 'mul', 'sub'];

function randomGraph(rand: (n: number) => number, nInputs: number, nNodes: number) {
  const inputs = Array.from({ length: nInputs }, (_, i) => T.vector(`x${i}`));
  const vars: Variable[] = [...inputs];
  for (let k = 0; k < nNodes; k++) {
    const pick = () => vars[vars.length - 1 - rand(Math.min(vars.length, 8))];
    vars.push(rand(2) ? ew(UNARY[rand(UNARY.length)], [pick()]) : ew(BINARY[rand(BINARY.length)], [pick(), pick()]));
  }
  const outputs = [vars[vars.length - 1], vars[vars.length - 1 - rand(6)], vars[nInputs + rand(nNodes)]];
  return { inputs, outputs };
}

/** Every difference between fg's bookkeeping and a recomputation, as text (empty when none). */
function inconsistencies(fg: FunctionGraph): string[] {
  const problems: string[] = [];
  const scratch = toposort(fg.outputs);
  const nodes = fg.nodes;
  const scratchSet = new Set(scratch);
  if (nodes.length !== scratch.length || nodes.some((n) => !scratchSet.has(n))) problems.push(`nodes: ${nodes.length} kept, ${scratch.length} reachable`);
  const position = new Map(nodes.map((n, i) => [n, i]));
  nodes.forEach((n, i) => {
    for (const v of n.inputs) if (v.owner && !(position.get(v.owner)! < i)) problems.push(`node ${i} reads a result of a node that is not before it`);
    if (i > 0 && !fg.before(nodes[i - 1], n)) problems.push(`before() disagrees with the order at ${i}`);
  });
  const expected = new Map<Variable, string[]>();
  const vars = new Set<Variable>(fg.outputs);
  for (const n of nodes) {
    n.inputs.forEach((v, i) => {
      vars.add(v);
      const l = expected.get(v) ?? [];
      l.push(`${position.get(n)}:${i}`);
      expected.set(v, l);
    });
    n.outputs.forEach((o) => vars.add(o));
  }
  for (const v of vars) {
    const got = fg.clients(v).map(([n, i]) => `${position.get(n)}:${i}`).sort();
    const want = (expected.get(v) ?? []).sort();
    if (got.join() !== want.join()) problems.push(`clients of ${v}: ${got} instead of ${want}`);
    if (fg.clientCount(v) !== want.length) problems.push(`clientCount of ${v}: ${fg.clientCount(v)} instead of ${want.length}`);
    if (fg.isOutput(v) !== fg.outputs.includes(v)) problems.push(`isOutput of ${v}`);
  }
  return problems;
}

/** Variables of the graph that do not depend on v (safe replacements for it). */
function independentOf(fg: FunctionGraph, v: Variable, candidates: Variable[]): Variable[] {
  const downstream = new Set<Variable>([v]);
  for (const n of fg.nodes) if (n.inputs.some((u) => downstream.has(u))) n.outputs.forEach((o) => downstream.add(o));
  return candidates.filter((u) => !downstream.has(u));
}

describe('FunctionGraph', () => {
  it('copies the graph: its nodes are not the caller\'s, and the caller\'s graph is unchanged by edits', () => {
    const x = T.vector('x');
    const e = T.exp(x);
    const out = T.add(e, T.neg(e));
    const before = toposort([out]).map((n) => [...n.inputs]);
    const fg = new FunctionGraph([x], [out]);
    expect(fg.nodes.some((n) => toposort([out]).includes(n))).toBe(false);
    fg.replace(fg.outputs[0].owner!.inputs[1], fg.outputs[0].owner!.inputs[0]);
    expect(toposort([out]).map((n) => [...n.inputs])).toEqual(before);
    expect(fg.nodes.map((n) => n.op.name)).toEqual(['exp', 'add']);
  });

  it('rejects inputs that are computed, and replacements of another type', () => {
    const x = T.vector('x');
    expect(() => new FunctionGraph([T.exp(x)], [x])).toThrow(/input 0 .* computed by exp; inputs must be free variables/);
    const fg = new FunctionGraph([x], [T.exp(x)]);
    expect(() => fg.replace(fg.outputs[0], T.scalar('s'))).toThrow(/replaced float64\[\?\] with float64\[\]/);
  });

  it('prunes what nothing reads any more, and keeps what is still read', () => {
    const x = T.vector('x'), y = T.vector('y');
    const a = T.exp(x);
    const b = T.tanh(a);
    const fg = new FunctionGraph([x, y], [T.add(b, a), T.mul(b, y)]);
    const [sum, prod] = fg.outputs;
    const bCopy = prod.owner!.inputs[0];
    fg.replace(bCopy, y);
    // tanh is gone (no reader); exp stays (the sum reads it).
    expect(fg.nodes.map((n) => n.op.name).sort()).toEqual(['add', 'exp', 'mul']);
    expect(sum.owner!.inputs[0]).toBe(y);
    expect(inconsistencies(fg)).toEqual([]);
  });

  it('moves readers after a replacement that comes later in the order', () => {
    const x = T.vector('x');
    const early = T.neg(x);
    const reader = T.exp(early);
    const late = T.tanh(T.sqr(x));
    const fg = new FunctionGraph([x], [reader, late]);
    const [r, l] = fg.outputs;
    // Only a replace that makes the reader read `late` can force a move: `late` came after it.
    expect(fg.before(r.owner!, l.owner!)).toBe(true);
    fg.replace(r.owner!.inputs[0], l);
    expect(inconsistencies(fg)).toEqual([]);
    expect(fg.before(l.owner!, r.owner!)).toBe(true);
  });

  it('refuses a replacement that would make a cycle', () => {
    const x = T.vector('x');
    const a = T.exp(x);
    const fg = new FunctionGraph([x], [T.neg(a)]);
    const out = fg.outputs[0];
    const inner = out.owner!.inputs[0];
    expect(() => fg.replace(inner, T.add(out, 1))).toThrow(/cycle/);
  });

  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`stays equal to a recomputation through random replaces (seed ${seed})`, () => {
      const rand = lcg(seed);
      const { inputs, outputs } = randomGraph(rand, 3, 60);
      const fg = new FunctionGraph(inputs, outputs);
      const imported = new Set<Apply>();
      const pruned = new Set<Apply>();
      fg.addListener({ onImport: (n) => imported.add(n), onPrune: (n) => pruned.add(n) });
      expect(inconsistencies(fg)).toEqual([]);
      for (let step = 0; step < 40 && fg.size > 0; step++) {
        const nodes = fg.nodes;
        const target = nodes[rand(nodes.length)].outputs[0];
        const pool = [...inputs, ...nodes.map((n) => n.outputs[0])];
        const safe = independentOf(fg, target, pool);
        const kind = rand(3);
        let now: Variable;
        if (kind === 0 && safe.length) now = safe[rand(safe.length)];
        else if (kind === 1 && safe.length) now = ew(BINARY[rand(BINARY.length)], [safe[rand(safe.length)], safe[rand(safe.length)]]);
        else now = ew(UNARY[rand(UNARY.length)], [target]); // the replacement reads what it replaces
        const before = new Set(fg.nodes);
        imported.clear();
        pruned.clear();
        fg.replace(target, now);
        expect(inconsistencies(fg)).toEqual([]);
        const after = new Set(fg.nodes);
        const came = [...after].filter((n) => !before.has(n));
        const went = [...before].filter((n) => !after.has(n));
        expect(new Set(came)).toEqual(new Set([...imported].filter((n) => after.has(n))));
        expect(new Set(went)).toEqual(new Set([...pruned].filter((n) => !imported.has(n))));
      }
    });
  }
});
