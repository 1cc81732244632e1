/**
 * One pass over a matrix where two would do. A Program that computes Z = X·W, then a chain of
 * row-local ops over Z's rows (elementwise ops, the softmax family) ending in G, then X^T·G,
 * reads X twice. This pass finds that shape in the instruction graph (any such chain, not a
 * particular formula; W and G vectors or matrices) and replaces the three parts by one
 * `rowpass` instruction, which works through X in blocks of rows: each block gives its slice of
 * Z, the chain runs on that slice, and the block's contribution to X^T·G is added while the
 * rows are still in cache.
 */
import type { Attrs, Instruction, Program } from './program.js';
import { kernelFor, kernelRowLocal } from '../ops/kernel.js';
// The kernel of the instruction this pass emits.
import '../ops/rowpass.js';

interface Found {
  k1: number;
  k2: number;
}

/** The Program with every fusable pair of products fused (the input Program is not changed). */
export function fuseRowPasses(p: Program): Program {
  let prog = p;
  for (let guard = 0; guard < 8; guard++) {
    const next = fuseOne(prog);
    if (!next) break;
    prog = next;
  }
  return prog;
}

const isDot = (ins: Instruction, transA: boolean) => ins.opcode === 'dot' && !!ins.attrs.transA === transA && !ins.attrs.transB;

function fuseOne(p: Program): Program | null {
  const ins = p.instructions;
  // Plain products by their left operand, so each X^T·G meets only the X·W over the same X.
  const plainByA = new Map<number, number[]>();
  ins.forEach((d, k) => {
    if (!isDot(d, false)) return;
    const list = plainByA.get(d.inputs[0]);
    if (list) list.push(k);
    else plainByA.set(d.inputs[0], [k]);
  });
  let producer: Map<number, number> | null = null;
  for (let k2 = 0; k2 < ins.length; k2++) {
    const d2 = ins[k2];
    if (!isDot(d2, true)) continue;
    const [a, g] = d2.inputs;
    const rank = p.buffers[g].ndim;
    const plain = plainByA.get(a);
    if (!plain || p.buffers[a].ndim !== 2 || (rank !== 1 && rank !== 2)) continue;
    for (let j = plain.length - 1; j >= 0; j--) {
      const k1 = plain[j];
      if (k1 >= k2 || p.buffers[ins[k1].inputs[1]].ndim !== rank) continue;
      producer ??= producersOf(p);
      const fused = tryFuse(p, { k1, k2 }, producer);
      if (fused) return fused;
    }
  }
  return null;
}

function producersOf(p: Program): Map<number, number> {
  const producer = new Map<number, number>();
  p.instructions.forEach((x, k) => x.outputs.forEach((b) => producer.set(b, k)));
  return producer;
}

/**
 * For a shape-only instruction reading a result of the chain, an earlier buffer with the same
 * shape, or with the same rows (`rowsOnly`: the reader may then only ask for axis 0).
 */
function sameShapeSource(p: Program, b: number, producer: ReadonlyMap<number, number>, stopAt: number, a: number, z: number): { buf: number; rowsOnly: boolean } | null {
  let rowsOnly = false;
  for (let guard = 0; guard < 1000; guard++) {
    if (b === z) return { buf: a, rowsOnly: true }; // rows of z are rows of X
    const k = producer.get(b);
    if (k === undefined || k < stopAt) return { buf: b, rowsOnly };
    const ins = p.instructions[k];
    const src = kernelFor(ins.opcode).shapeSource?.(ins.attrs, ins.inputs.map((i) => p.buffers[i].ndim), p.buffers[b].ndim);
    if (!src) return null;
    rowsOnly = rowsOnly || src.rowsOnly;
    b = ins.inputs[src.input];
  }
  return null;
}

function tryFuse(p: Program, { k1, k2 }: Found, producer: ReadonlyMap<number, number>): Program | null {
  const ins = p.instructions;
  const d1 = ins[k1];
  const d2 = ins[k2];
  const [a, w] = d1.inputs;
  const z = d1.outputs[0];
  const g = d2.inputs[1];
  const gw = d2.outputs[0];
  const dtype = p.buffers[a].dtype;
  if (dtype !== 'float64' && dtype !== 'float32') return null;
  if ([w, z, g, gw].some((b) => p.buffers[b].dtype !== dtype)) return null;

  // Shape-only readers of the chain (e.g. the count in mean's gradient) read an equivalent earlier buffer.
  // Entries are replaced, never edited, so a shallow copy keeps p as it was.
  const instructions = ins.slice();
  for (let k = k1 + 1; k < k2; k++) {
    const x = instructions[k];
    if (!kernelFor(x.opcode).shapeOnly || x.inputs.length !== 1) continue;
    const src = x.inputs[0];
    const pk = producer.get(src);
    if (pk === undefined || pk < k1) continue;
    const s = sameShapeSource(p, src, producer, k1, a, z);
    if (s === null) return null;
    if (s.rowsOnly) {
      // Only the row count carries over: size_of over axis 0, or shape of axis 0.
      const axes = kernelFor(x.opcode).axesRead?.(x.attrs) ?? null;
      if (!axes || axes.some((ax) => ax !== 0)) return null;
    }
    instructions[k] = { ...x, inputs: [s.buf] };
  }

  // Instructions between the products that depend on z's values, and those of them g needs.
  const dependent = new Set<number>();
  const tainted = new Set<number>([z]);
  for (let k = k1 + 1; k < k2; k++) {
    if (instructions[k].inputs.some((b) => tainted.has(b))) {
      dependent.add(k);
      instructions[k].outputs.forEach((b) => tainted.add(b));
    }
  }
  const chain = new Set<number>();
  if (g !== z) {
    const start = producer.get(g);
    if (start === undefined || !dependent.has(start)) return null;
    const stack = [start];
    while (stack.length) {
      const k = stack.pop()!;
      if (chain.has(k)) continue;
      chain.add(k);
      for (const b of instructions[k].inputs) {
        const pk = producer.get(b);
        if (pk !== undefined && dependent.has(pk) && !chain.has(pk)) stack.push(pk);
      }
    }
  }
  const inner = [...chain].sort((x, y) => x - y);
  const rank = p.buffers[z].ndim;
  for (const k of inner) {
    const x = instructions[k];
    const outRank = p.buffers[x.outputs[0]].ndim;
    if (!kernelRowLocal(x.opcode, x.attrs) || x.outputs.length !== 1 || outRank < 1 || outRank > rank) return null;
    for (const b of x.inputs) {
      if (p.buffers[b].ndim > rank) return null;
      const pk = producer.get(b);
      // An input made between the products must not depend on z (then it is computed before the pass).
      if (pk !== undefined && pk > k1 && pk < k2 && dependent.has(pk) && !chain.has(pk)) return null;
    }
  }

  const produced = new Set<number>([z, ...inner.map((k) => instructions[k].outputs[0])]);
  const external: number[] = [];
  for (const k of inner) for (const b of instructions[k].inputs) if (!produced.has(b) && !external.includes(b) && b !== a && b !== w) external.push(b);
  const inputs = [a, w, ...external];
  const outputs = [z, ...inner.map((k) => instructions[k].outputs[0]), gw];
  const all = [...inputs, ...outputs];
  const ref = (b: number) => all.indexOf(b);
  const fused: Instruction = {
    opcode: 'rowpass',
    inputs,
    outputs,
    attrs: {
      inner: inner.map((k) => {
        const x = instructions[k];
        return { opcode: x.opcode, attrs: x.attrs, args: x.inputs.map(ref), out: ref(x.outputs[0]) } as unknown as Attrs;
      }),
    },
  };
  const middle = Array.from({ length: k2 - k1 - 1 }, (_, i) => k1 + 1 + i);
  const order = [
    ...instructions.slice(0, k1),
    ...middle.filter((k) => !dependent.has(k)).map((k) => instructions[k]),
    fused,
    ...middle.filter((k) => dependent.has(k) && !chain.has(k)).map((k) => instructions[k]),
    ...instructions.slice(k2 + 1),
  ];
  return { ...p, instructions: order };
}
