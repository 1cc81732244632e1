/** From a rewritten FunctionGraph to a Program: number the buffers, emit one instruction per node. */
import { Constant, SharedVariable, Variable } from '../graph/variable.js';
import type { FunctionGraph } from '../graph/fgraph.js';
import { BufferSpec, Instruction, Program } from './program.js';
import { kernelFor } from '../ops/kernel.js';
import { laneType, type Step } from '../ops/elemwise.js';

export interface LowerInput {
  fg: FunctionGraph;
  inputs: Variable[];
  /** How many of fg.outputs are function outputs; the rest are update values, in `updated` order. */
  nOutputs: number;
  updated: SharedVariable[];
  /** Who compiles, to name in errors (e.g. `fn 'train'`). */
  where?: string;
}

export function lower({ fg, inputs, nOutputs, updated, where = 'fn' }: LowerInput): Program {
  const buffers: BufferSpec[] = [];
  const instructions: Instruction[] = [];
  const constants: Constant['value'][] = [];
  const sharedVars: SharedVariable[] = [];
  const bufferOf = new Map<Variable, number>();
  const add = (spec: BufferSpec) => buffers.push(spec) - 1;
  const nameOf = (v: Variable) => v.name ?? v.toString();

  inputs.forEach((v, i) => bufferOf.set(v, add({ dtype: v.dtype, kind: 'input', ref: i, name: nameOf(v), ndim: v.ndim })));
  const sharedIndex = new Map<SharedVariable, number>();
  const sharedSlot = (s: SharedVariable) => {
    let i = sharedIndex.get(s);
    if (i === undefined) {
      sharedIndex.set(s, (i = sharedVars.push(s) - 1));
      bufferOf.set(s, add({ dtype: s.dtype, kind: 'shared', ref: i, name: nameOf(s), ndim: s.ndim }));
    }
    return i;
  };
  const bufferFor = (v: Variable): number => {
    const b = bufferOf.get(v);
    if (b !== undefined) return b;
    if (v instanceof SharedVariable) {
      sharedSlot(v);
      return bufferOf.get(v)!;
    }
    if (v instanceof Constant) {
      const id = add({ dtype: v.dtype, kind: 'const', ref: constants.push(v.value) - 1, name: nameOf(v), ndim: v.ndim });
      bufferOf.set(v, id);
      return id;
    }
    const namesake = v.name === undefined ? -1 : inputs.findIndex((u) => u.name === v.name);
    const hint = namesake < 0 ? 'add it to the inputs or give it through givens' : `input ${namesake} is a different variable with the same name ${v.name}: build the graph from that input, or pass this variable instead`;
    throw new Error(`${where}: the graph needs ${nameOf(v)} (${v.type.describe()}), which is not among the inputs; ${hint}`);
  };

  for (const node of fg.nodes) {
    const ins = node.inputs.map(bufferFor);
    const outs = node.outputs.map((o) => {
      const id = add({ dtype: o.dtype, kind: 'temp', ref: -1, name: nameOf(o), ndim: o.ndim });
      bufferOf.set(o, id);
      return id;
    });
    const { opcode, attrs } = node.op.lower(node);
    kernelFor(opcode);
    instructions.push({ opcode, inputs: ins, outputs: outs, attrs });
  }

  // Outputs and update values must live in temps: copy leaves, and any value used twice, once.
  const claimed = new Set<number>();
  const temp = (v: Variable): number => {
    const b = bufferFor(v);
    if (buffers[b].kind === 'temp' && !claimed.has(b)) {
      claimed.add(b);
      return b;
    }
    const id = add({ dtype: v.dtype, kind: 'temp', ref: -1, name: `copy of ${nameOf(v)}`, ndim: v.ndim });
    const steps: Step[] = [{ op: 'identity', dtype: v.dtype, args: [[0, 0]] }];
    instructions.push({ opcode: 'elemwise', inputs: [b], outputs: [id], attrs: { steps: steps as never, consts: [], bcast: [[...v.broadcastable]], lanes: laneType(steps, [], [v.dtype]) } });
    claimed.add(id);
    return id;
  };
  const outputs = fg.outputs.slice(0, nOutputs).map(temp);
  const updates = fg.outputs.slice(nOutputs).map((v, i) => ({ shared: sharedSlot(updated[i]), buffer: temp(v) }));

  const program: Program = { buffers, instructions, constants, inputs: inputs.map((v) => bufferOf.get(v)!), shared: sharedVars.map((s) => bufferOf.get(s)!), outputs, updates, valueInputs: [], valueShared: [] };
  const needed = valueBuffers(program);
  const refsOf = (kind: string) => program.buffers.map((b, id) => (b.kind === kind && needed.has(id) ? b.ref : -1)).filter((r) => r >= 0);
  program.valueInputs = refsOf('input');
  program.valueShared = refsOf('shared');
  return Object.assign(program, { sharedVariables: sharedVars });
}

/** Buffers whose values flow into some kernel's shape-deciding inputs (plans compute them early). */
export function valueBuffers(p: Program): Set<number> {
  const producer = new Map<number, number>();
  p.instructions.forEach((ins, k) => ins.outputs.forEach((b) => producer.set(b, k)));
  const needed = new Set<number>();
  const stack: number[] = [];
  for (const ins of p.instructions) {
    const vi = kernelFor(ins.opcode).valueInputs?.(ins.attrs, ins.inputs.length) ?? [];
    vi.forEach((i) => stack.push(ins.inputs[i]));
  }
  while (stack.length) {
    const b = stack.pop()!;
    if (needed.has(b)) continue;
    needed.add(b);
    const k = producer.get(b);
    if (k !== undefined && !kernelFor(p.instructions[k].opcode).shapeOnly) stack.push(...p.instructions[k].inputs);
  }
  return needed;
}

/** A Program together with the shared variables its shared buffers stand for. */
export type LoweredProgram = Program & { sharedVariables: SharedVariable[] };
