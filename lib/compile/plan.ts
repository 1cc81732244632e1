/**
 * Plans: for one signature of input shapes, the shape of every buffer, which buffers are views,
 * and where each temporary lives in the arena. Temporaries whose last reader has run are reused
 * (first fit within each dtype's arena), so steady-state calls allocate nothing.
 */
import type { DType, TypedArray } from '../ndarray/dtype.js';
import { allocate, bytesPer } from '../ndarray/dtype.js';
import { formatShape, sizeOf } from '../ndarray/shape.js';
import { kernelFor, kernelInPlace, kernelMayFail, withOwnWorkspace } from '../ops/kernel.js';
import type { WorkspaceSpec } from '../ops/kernel.js';
import type { Attrs, Instruction, PlacedWorkspace, Plan, Program } from './program.js';
import { valueBuffers } from './lower.js';

export interface PlanInputs {
  inputShapes: number[][];
  sharedShapes: number[][];
  /** Data of the inputs and shared variables (only those in valueInputs/valueShared are read). */
  inputData: TypedArray[];
  sharedData: TypedArray[];
}

const metaCache = new WeakMap<Program, Set<number>>();

function metaBuffers(p: Program): Set<number> {
  let m = metaCache.get(p);
  if (!m) metaCache.set(p, (m = valueBuffers(p)));
  return m;
}

/** Runs shape inference over the program; errors name the instruction's op. */
export function makePlan(p: Program, args: PlanInputs): Plan {
  const nb = p.buffers.length;
  const shapes: number[][] = new Array(nb);
  const values: (TypedArray | undefined)[] = new Array(nb);
  const meta = metaBuffers(p);
  p.inputs.forEach((b, i) => {
    shapes[b] = args.inputShapes[i];
    if (meta.has(b)) values[b] = args.inputData[i];
  });
  p.shared.forEach((b, i) => {
    shapes[b] = args.sharedShapes[i];
    if (meta.has(b)) values[b] = args.sharedData[i];
  });
  p.buffers.forEach((spec, b) => {
    if (spec.kind === 'const') {
      shapes[b] = [...p.constants[spec.ref].shape];
      values[b] = p.constants[spec.ref].data;
    }
  });

  const alias = new Array<number>(nb).fill(-1);
  const skip = new Array<boolean>(p.instructions.length).fill(false);
  const decisions = new Array<Attrs | null>(p.instructions.length).fill(null);
  const needs = new Array<WorkspaceSpec[]>(p.instructions.length);
  const valueKeys = new Map<number, string>();
  const root = (b: number) => (alias[b] >= 0 ? alias[b] : b);
  p.instructions.forEach((ins, k) => {
    const spec = kernelFor(ins.opcode);
    const inShapes = ins.inputs.map((b) => shapes[b]);
    const types = typesOf(p, ins);
    const inValues = ins.inputs.map((b) => values[b]);
    const outShapes = spec.inferShape(ins.attrs, inShapes, inValues, types);
    outShapes.forEach((s) => checkComputedShape(s, k, ins.opcode));
    ins.outputs.forEach((b, i) => (shapes[b] = outShapes[i]));
    if (spec.decide) decisions[k] = spec.decide(ins.attrs, inShapes, outShapes, types, inValues);
    if (dependsOnValues(ins)) valueKeys.set(k, valueKeyOf(p, ins, inShapes, inValues, outShapes));
    if (spec.view?.(ins.attrs, inShapes, outShapes)) {
      alias[ins.outputs[0]] = root(ins.inputs[0]);
      skip[k] = true;
    } else if (decisions[k] && spec.runtimeView?.can(decisions[k]!) && !isResult(p, ins.outputs[0]) && !readByView(p, ins.outputs[0], k)) {
      // A view whose start the kernel sets on each call: no copy of the selection.
      alias[ins.outputs[0]] = root(ins.inputs[0]);
      decisions[k] = { ...decisions[k]!, view: true };
    }
    if (!skip[k]) needs[k] = spec.workspace?.(ins.attrs, inShapes, outShapes, types, decisions[k] ?? undefined) ?? [];
    // Values needed by later shape rules are computed now, on small arrays.
    if (ins.outputs.some((b) => meta.has(b))) {
      const outs = ins.outputs.map((b, i) => allocate(p.buffers[b].dtype, sizeOf(outShapes[i])));
      const ins2 = ins.inputs.map((b, i) => values[b] ?? allocate(p.buffers[b].dtype, sizeOf(inShapes[i])));
      withOwnWorkspace(spec, ins.attrs, inShapes, outShapes, types, decisions[k] ?? undefined)(ins2, outs);
      ins.outputs.forEach((b, i) => (values[b] = outs[i]));
    }
  });

  // Decided before placing temps: in-place updates need no arena space.
  const snapshot = p.updates.map((u) => p.buffers[root(u.buffer)].kind !== 'temp');
  updateInPlace(p, shapes, alias, skip);
  chainsIntoOutputs(p, shapes, alias, skip);
  const { offsets, arena, workspace } = placeTemps(p, shapes, alias, needs);
  const tempBytes = (Object.keys(arena) as DType[]).reduce((a, d) => a + arena[d] * bytesPer(d), 0);
  const plan: Plan = { shapes, offsets, arena, tempBytes, alias, skip, snapshot, decisions, workspace };
  if (valueKeys.size > 0) guards.set(plan, { valueKeys });
  return plan;
}

/**
 * Whether an instruction after k that can be a view (reshape, dimshuffle) reads b: views are
 * bound once per call to their root's storage, so they cannot follow a start set at run time.
 */
const readByView = (p: Program, b: number, k: number) => p.instructions.some((ins, j) => j > k && ins.inputs.includes(b) && kernelFor(ins.opcode).view !== undefined);

/** Outputs and update values own their storage (they are copied out or committed). */
const isResult = (p: Program, b: number) => p.outputs.includes(b) || p.updates.some((u) => u.buffer === b);

const typesOf = (p: Program, ins: Instruction) => ({ inputs: ins.inputs.map((b) => p.buffers[b].dtype), outputs: ins.outputs.map((b) => p.buffers[b].dtype) });
const dependsOnValues = (ins: Instruction) => (kernelFor(ins.opcode).valueInputs?.(ins.attrs, ins.inputs.length).length ?? 0) > 0;

function valueKeyOf(p: Program, ins: Instruction, inShapes: number[][], inValues: (TypedArray | undefined)[], outShapes?: number[][]): string {
  const spec = kernelFor(ins.opcode);
  if (spec.valueKey) return spec.valueKey(ins.attrs, inShapes, inValues);
  return (outShapes ?? spec.inferShape(ins.attrs, inShapes, inValues, typesOf(p, ins))).map((s) => s.join(',')).join(';');
}

/** What a plan made with some values depends on: the value key of each value-dependent instruction. */
interface Guard {
  valueKeys: Map<number, string>;
  /** Built on first use: the instructions that compute values (kernels over small arrays) and those with value keys. */
  steps?: GuardStep[];
  values?: (TypedArray | undefined)[];
}
interface GuardStep {
  ins: Instruction;
  key?: string;
  inShapes: number[][];
  inValues: (TypedArray | undefined)[];
  run?: () => void;
}
const guards = new WeakMap<Plan, Guard>();

/** True when the program has instructions whose output shapes depend on values (one plan may then serve many values). */
export function hasValueShapes(p: Program): boolean {
  return p.instructions.some(dependsOnValues);
}

/**
 * Whether `plan` serves a call with these input values: the values that decide shapes are
 * computed again (a few instructions on scalars) and each value-dependent instruction must
 * give the plan's key. Shapes are the plan's, which is right by induction in program order.
 */
export function planHolds(p: Program, plan: Plan, inputData: TypedArray[], sharedData: TypedArray[]): boolean {
  const g = guards.get(plan);
  if (!g) return true;
  const meta = metaBuffers(p);
  if (!g.steps) {
    const values: (TypedArray | undefined)[] = new Array(p.buffers.length);
    p.buffers.forEach((spec, b) => {
      if (spec.kind === 'const') values[b] = p.constants[spec.ref].data;
      else if (spec.kind === 'temp' && meta.has(b)) values[b] = allocate(spec.dtype, sizeOf(plan.shapes[b]));
    });
    g.values = values;
    g.steps = [];
    p.instructions.forEach((ins, k) => {
      const computes = ins.outputs.some((b) => meta.has(b));
      if (!computes && !g.valueKeys.has(k)) return;
      const step: GuardStep = { ins, key: g.valueKeys.get(k), inShapes: ins.inputs.map((b) => plan.shapes[b]), inValues: [] };
      if (computes) {
        const kernel = withOwnWorkspace(kernelFor(ins.opcode), ins.attrs, step.inShapes, ins.outputs.map((b) => plan.shapes[b]), typesOf(p, ins), plan.decisions[k] ?? undefined);
        const outs = ins.outputs.map((b) => values[b]!);
        const args = ins.inputs.map(() => EMPTY as TypedArray);
        step.run = () => kernel(step.inValues.map((v, i) => v ?? args[i]), outs);
      }
      g.steps!.push(step);
    });
  }
  const values = g.values!;
  p.inputs.forEach((b, i) => meta.has(b) && (values[b] = inputData[i]));
  p.shared.forEach((b, i) => meta.has(b) && (values[b] = sharedData[i]));
  for (const step of g.steps) {
    const { ins } = step;
    for (let i = 0; i < ins.inputs.length; i++) step.inValues[i] = values[ins.inputs[i]];
    if (step.key !== undefined) {
      let now: string;
      try {
        now = valueKeyOf(p, ins, step.inShapes, step.inValues);
      } catch {
        return false; // a new plan will report the error
      }
      if (now !== step.key) return false;
    }
    step.run?.();
  }
  return true;
}

const EMPTY = new Float64Array(0);

/**
 * An update writes straight into the shared variable's storage when that is invisible: same
 * shape, the old value is read by nothing after (and by the producing instruction only through
 * the inputs its kernel declares it can overwrite), no output or other update shares it, and
 * the producer runs after every instruction that can fail (the kernels' `mayFail`), so a
 * failed call still changes nothing.
 */
function updateInPlace(p: Program, shapes: number[][], alias: number[], skip: boolean[]): void {
  const root = (b: number) => (alias[b] >= 0 ? alias[b] : b);
  const producer = new Map<number, number>();
  p.instructions.forEach((ins, k) => ins.outputs.forEach((b) => producer.set(b, k)));
  const lastFailing = p.instructions.reduce((last, ins, k) => (!skip[k] && kernelMayFail(ins.opcode, ins.attrs) ? k : last), -1);
  const sources = p.updates.map((u) => u.buffer);
  // The last instruction that reads each storage (one pass, not one scan per update).
  const lastRead = new Map<number, number>();
  p.instructions.forEach((ins, j) => ins.inputs.forEach((b) => lastRead.set(root(b), j)));
  p.updates.forEach((u) => {
    const target = p.shared[u.shared];
    const k = producer.get(u.buffer);
    if (k === undefined || alias[u.buffer] >= 0 || skip[k] || k <= lastFailing) return;
    if (shapes[u.buffer].length !== shapes[target].length || !shapes[u.buffer].every((d, i) => d === shapes[target][i])) return;
    if (p.buffers[u.buffer].dtype !== p.buffers[target].dtype) return;
    const ins = p.instructions[k];
    // The producer may read the old value only where its kernel can overwrite what it reads
    // (elementwise inputs, gemm's C), and only unbroadcast (same shape, not through a view).
    const overwritable = new Set(kernelInPlace(ins.opcode, ins.attrs, ins.inputs.length));
    const readsSafely = ins.inputs.every((b, i) => root(b) !== target || (overwritable.has(i) && ins.outputs[0] === u.buffer && alias[b] < 0 && shapes[b].length === shapes[target].length));
    if (!readsSafely) return;
    if ((lastRead.get(target) ?? -1) > k) return;
    if (p.outputs.some((b) => root(b) === target || b === u.buffer)) return;
    if (sources.some((b) => b !== u.buffer && root(b) === target)) return;
    alias[u.buffer] = target;
  });
}

/**
 * A chain of steps that can each overwrite their input (a gradient assembled by a fill and
 * increments of its slices, a run of elementwise ops) and ends in an output is computed in
 * the output's storage from its first step, so the last step copies nothing into it: a loop
 * body's output is then written straight into its row, a function's into the caller's array.
 * A link joins when the next step's kernel may overwrite it (`inPlace`), it is read there once
 * and nowhere after, no view reads it, and it has the output's shape and dtype.
 */
function chainsIntoOutputs(p: Program, shapes: number[][], alias: number[], skip: boolean[]): void {
  const producer = new Map<number, number>();
  p.instructions.forEach((ins, k) => ins.outputs.forEach((b) => producer.set(b, k)));
  const lastUse = lastUses(p, alias);
  const viewed = new Set(alias.filter((a) => a >= 0));
  for (const out of new Set(p.outputs)) {
    if (p.buffers[out].kind !== 'temp' || alias[out] >= 0 || viewed.has(out)) continue;
    for (let k = producer.get(out); k !== undefined && !skip[k]; ) {
      const ins = p.instructions[k];
      if (ins.outputs.length !== 1) break;
      // The step's output has the chain's shape: a donor of its dtype may join.
      const candidates = kernelInPlace(ins.opcode, ins.attrs, ins.inputs.length).map((i) => ins.inputs[i]);
      const link = inPlaceDonors(p, candidates, ins.inputs, k, shapes, alias, lastUse, viewed).find((b) => p.buffers[b].dtype === p.buffers[out].dtype);
      if (link === undefined) break;
      alias[link] = out;
      k = producer.get(link);
    }
  }
}

/**
 * Liveness-based placement of temps in one arena per dtype. An instruction's workspaces are
 * temps live at that instruction alone: placed after its outputs, freed with the inputs that
 * die there, so the space is reused by later temps.
 */
function placeTemps(p: Program, shapes: number[][], alias: number[], needs: WorkspaceSpec[][]) {
  // Buffers that views read: their storage must not be overwritten in place.
  const viewed = new Set(alias.filter((a) => a >= 0));
  const root = (b: number) => (alias[b] >= 0 ? alias[b] : b);
  const lastUse = lastUses(p, alias);
  const END = p.instructions.length;

  const arena: Record<DType, number> = { float64: 0, float32: 0, int32: 0, bool: 0 };
  const free: Record<DType, { off: number; size: number }[]> = { float64: [], float32: [], int32: [], bool: [] };
  const offsets = new Array<number>(p.buffers.length).fill(-1);
  const placed: number[][] = Array.from({ length: END + 1 }, () => []);
  const workspace = new Array<PlacedWorkspace[] | null>(END).fill(null);

  const allocateBlock = (dtype: DType, size: number): number => {
    const list = free[dtype];
    const i = list.findIndex((f) => f.size >= size);
    if (i >= 0) {
      const f = list[i];
      const off = f.off;
      if (f.size === size) list.splice(i, 1);
      else {
        f.off += size;
        f.size -= size;
      }
      return off;
    }
    const off = arena[dtype];
    arena[dtype] += size;
    return off;
  };
  const release = (dtype: DType, off: number, size: number) => {
    const list = free[dtype];
    // Kept sorted by offset: insert at the place a binary search finds.
    let lo = 0;
    for (let hi = list.length; lo < hi; ) {
      const mid = (lo + hi) >> 1;
      if (list[mid].off < off) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, { off, size });
    // Coalesce with the neighbours (the rest of the list is coalesced already), so large blocks can be reused.
    if (lo + 1 < list.length && list[lo].off + list[lo].size === list[lo + 1].off) {
      list[lo].size += list[lo + 1].size;
      list.splice(lo + 1, 1);
    }
    if (lo > 0 && list[lo - 1].off + list[lo - 1].size === list[lo].off) {
      list[lo - 1].size += list[lo].size;
      list.splice(lo, 1);
    }
  };

  p.instructions.forEach((ins, k) => {
    // A result may take the storage of a dead same-shape input its kernel can overwrite.
    const candidates = kernelInPlace(ins.opcode, ins.attrs, ins.inputs.length).map((i) => ins.inputs[i]);
    const donors = inPlaceDonors(p, candidates, ins.inputs, k, shapes, alias, lastUse, viewed);
    for (const out of ins.outputs) {
      // A view's storage is its root's, placed before it; a chain into an output places the
      // output at the chain's first step.
      const b = root(out);
      if (offsets[b] >= 0 || p.buffers[b].kind !== 'temp') continue;
      const size = sizeOf(shapes[b]);
      const last = Math.max(lastUse.get(b) ?? k, k);
      // An elementwise result may overwrite an input that dies here and has its exact shape.
      const d = donors.findIndex((x) => p.buffers[x].dtype === p.buffers[b].dtype && sizeOf(shapes[x]) === size && shapes[x].length === shapes[b].length);
      if (d >= 0) {
        const donor = donors.splice(d, 1)[0];
        offsets[b] = offsets[donor];
        placed[k] = placed[k].filter((x) => x !== donor);
        placed[last].push(b);
        continue;
      }
      offsets[b] = allocateBlock(p.buffers[b].dtype, size);
      placed[last].push(b);
    }
    const work = needs[k] ?? [];
    if (work.length > 0) workspace[k] = work.map(({ dtype, elements }) => ({ dtype, offset: allocateBlock(dtype, elements), elements }));
    for (const b of placed[k]) release(p.buffers[b].dtype, offsets[b], sizeOf(shapes[b]));
    for (const w of workspace[k] ?? []) release(w.dtype, w.offset, w.elements);
  });
  return { offsets, arena, workspace };
}

/** The last instruction that reads each storage; results (outputs and updates) live to the end. */
function lastUses(p: Program, alias: number[]): Map<number, number> {
  const root = (b: number) => (alias[b] >= 0 ? alias[b] : b);
  const lastUse = new Map<number, number>();
  p.instructions.forEach((ins, k) => ins.inputs.forEach((b) => lastUse.set(root(b), k)));
  for (const b of [...p.outputs, ...p.updates.map((u) => u.buffer)]) lastUse.set(root(b), p.instructions.length);
  return lastUse;
}

/** Temps read by instruction k, read by nothing later, owning their storage and not broadcast: safe to overwrite. */
function inPlaceDonors(p: Program, candidates: number[], inputs: number[], k: number, shapes: number[][], alias: number[], lastUse: Map<number, number>, viewed: ReadonlySet<number>): number[] {
  if (candidates.length === 0) return [];
  const outShape = shapes[p.instructions[k].outputs[0]];
  const uses = (b: number) => inputs.filter((x) => x === b).length;
  return candidates.filter(
    (b, i) =>
      candidates.indexOf(b) === i &&
      uses(b) === 1 &&
      p.buffers[b].kind === 'temp' &&
      alias[b] < 0 &&
      lastUse.get(b) === k &&
      !viewed.has(b) &&
      shapes[b].length === outShape.length &&
      shapes[b].every((d, ax) => d === outShape[ax]),
  );
}


/** The key that selects a group of plans: input and shared shapes (values are checked by planHolds). */
export function signatureOf(inputShapes: readonly (readonly number[])[], sharedShapes: readonly (readonly number[])[]): string {
  let key = '';
  for (const s of inputShapes) key += s.join(',') + ';';
  key += '|';
  for (const s of sharedShapes) key += s.join(',') + ';';
  return key;
}

/** Most elements of one array: V8's typed-array limit, so a larger shape fails here, by name. */
const MAX_ELEMENTS = 2 ** 32 - 1;

/** Shapes computed from values (arange of NaN, a huge stop) are refused before any allocation. */
function checkComputedShape(shape: readonly number[], k: number, opcode: string): void {
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new RangeError(`instruction ${k} (${opcode}): computed shape ${formatShape(shape)} is not a valid array shape`);
  }
  const n = sizeOf(shape);
  if (n > MAX_ELEMENTS) throw new RangeError(`instruction ${k} (${opcode}): computed shape ${formatShape(shape)} has ${n} elements, more than an array can hold (${MAX_ELEMENTS})`);
}
