/**
 * scan(): Theano's loop, built as one Scan node.
 *
 * The step function is called once, on fresh inner variables, to trace the body. Everything
 * the body reads from outside (explicit non-sequences, shared variables, any outer expression)
 * becomes an input of the Scan node, so the inner graph is closed and the outer graph's
 * rewrites, givens and clones treat the loop like any other node. A shared variable whose new
 * value is computed inside the step (a random stream's state, or an update the step returns)
 * becomes a recurrent state of the loop, and its value after the last step comes back in the
 * updates Map.
 *
 * The outer node works on whole buffers: a recurrent output's buffer holds its initial rows
 * followed by one row per step (what the taps read), and the user gets the rows after the
 * initial ones, as Theano does.
 */
import { Apply, Constant, SharedVariable, Variable } from '../graph/variable.js';
import { NDArray } from '../ndarray/ndarray.js';
import { TensorType } from '../graph/type.js';
import { TensorLike, asVariable } from '../graph/as_variable.js';
import { applyElemwise as ew } from '../ops/elemwise.js';
import { get, slice } from '../ops/index.js';
import { shapeOf } from '../ops/reshape.js';
import { dimshuffle } from '../ops/dimshuffle.js';
import { canCastSafely, isDiscrete } from '../ndarray/dtype.js';
import { ScanOp, ScanLayout } from './op.js';
import { closeInnerGraph } from './inner.js';
import { toposort } from '../graph/toposort.js';

/** A sequence: a Variable (tap 0), or the variable with the taps the step reads (`[-1, 0, 1]`). */
export type SequenceArg = TensorLike | { input: TensorLike; taps?: number[] };
/** An output: its initial value (fed back at tap -1), `{ initial, taps }`, or null (not fed back). */
export type OutputInfoArg = TensorLike | { initial: TensorLike; taps?: number[] } | null;

/** Options of {@link scan}, as theano.scan's arguments. */
export interface ScanOptions {
  sequences?: SequenceArg | SequenceArg[];
  outputsInfo?: OutputInfoArg | OutputInfoArg[];
  nonSequences?: TensorLike | TensorLike[];
  /** The number of steps: a number or an int scalar Variable (e.g. `x.shape.get(0)`). */
  nSteps?: number | Variable;
  /** Iterate over the sequences from their last row to their first. */
  goBackwards?: boolean;
  /** Backpropagate through at most this many steps (from the last); -1: all. */
  truncateGradient?: number;
  name?: string;
}

/** What a step function may return: its outputs, or [outputs, updates] like Theano's (updates: new values of shared variables). */
export type StepResult = TensorLike | TensorLike[] | [TensorLike | TensorLike[], Map<SharedVariable, TensorLike>] | Map<SharedVariable, TensorLike>;

/** A scan step: receives the sequences' rows (per tap), the outputs' previous values (per tap), then the non-sequences. */
export type StepFn = (...args: Variable[]) => StepResult;

interface Sequence {
  outer: Variable;
  taps: number[];
}
interface Recurrent {
  /** The initial rows: shape (maxLag, ...). */
  init: Variable;
  taps: number[];
  /** Where the user's outputs list has it (-1: a shared variable's state). */
  position: number;
  shared?: SharedVariable;
}

const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const isDict = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !(v instanceof Variable) && !Array.isArray(v) && !ArrayBuffer.isView(v) && !('shape' in (v as object));

let scans = 0;

/**
 * theano.scan: run `stepFn` over the rows of the sequences, feeding back the outputs that have
 * initial values. Returns `[outputs, updates]`: `outputs` one Variable when the step gives one,
 * else an array (each with one row per step); `updates` the Map of shared variables the loop
 * advances (random-stream states), to pass to `fn`.
 * @example
 * ```ts
 * // cumulative sum of the rows of x
 * const [s] = scan((xt, prev) => prev.add(xt), { sequences: x, outputsInfo: T.zerosLike(x.get(0)) });
 * ```
 */
export function scan(stepFn: StepFn, opts: ScanOptions = {}): [Variable | Variable[], Map<SharedVariable, Variable>] {
  const { outputs, updates } = buildScan(stepFn, opts);
  return [outputs.length === 1 ? outputs[0] : outputs, updates];
}

/**
 * scan() with the Scan node it made, whose outputs are the whole buffers (for the gradient);
 * `reverse`: a gradient's loop (lib/scan/grad.ts), which reads its sequences from the last row.
 */
export function buildScan(stepFn: StepFn, opts: ScanOptions = {}, reverse = false): { node: Apply; outputs: Variable[]; updates: Map<SharedVariable, Variable> } {
  const name = opts.name ?? `scan${++scans}`;
  const where = `scan '${name}'`;
  if (typeof stepFn !== 'function') throw new TypeError(`${where}: the step must be a function`);
  const sequences = asList(opts.sequences as SequenceArg | SequenceArg[]).map((s, i) => sequenceOf(s, i, opts.goBackwards === true, where));
  const infos = opts.outputsInfo === undefined ? undefined : Array.isArray(opts.outputsInfo) ? opts.outputsInfo : [opts.outputsInfo];
  const recurrent: Recurrent[] = [];
  (infos ?? []).forEach((info, i) => {
    if (info !== null && info !== undefined) recurrent.push(recurrentOf(info, i, where));
  });
  if (sequences.length === 0 && (opts.nSteps === undefined || opts.nSteps === null)) throw new Error(`${where}: give sequences or nSteps (the number of steps)`);
  const nonSequences = asList(opts.nonSequences as TensorLike | TensorLike[]).map((v, i) => asVariable(v, `${where}: nonSequences[${i}]`));

  // Fresh variables for the step: one per sequence tap, one per output tap.
  const mark = new Variable(new TensorType('int32', []));
  const seqArgs = sequences.map((s) => s.taps.map((tap) => rowVariable(s.outer, `${s.outer.name ?? 'seq'}[t${tap >= 0 ? '+' : ''}${tap}]`)));
  const recArgs = recurrent.map((r) => r.taps.map((tap) => rowVariable(r.init, `${r.init.name ?? 'out'}[t${tap}]`)));
  const result = stepFn(...seqArgs.flat(), ...recArgs.flat(), ...nonSequences);
  const { outputs: stepOutputs, updates: stepUpdates } = stepResultOf(result, where);
  if (infos && stepOutputs.length !== infos.length) throw new Error(`${where}: the step returns ${stepOutputs.length} output(s) but outputsInfo has ${infos.length} entries`);
  const isRecurrent = (i: number) => infos !== undefined && infos[i] !== null && infos[i] !== undefined;

  const recOutputs: Variable[] = [];
  recurrent.forEach((r, j) => recOutputs.push(checkedState(stepOutputs[r.position], r.init, `${where}: output ${r.position}`, j)));
  const nitsot = stepOutputs.filter((_, i) => !isRecurrent(i));

  const inner = closeInnerGraph({ mark, innerArgs: [...seqArgs.flat(), ...recArgs.flat()], outputs: [...recOutputs, ...nitsot], nonSequences, updates: stepUpdates, where });
  // Shared variables advanced in the step become recurrent states (their updates come back).
  for (const st of inner.states) {
    recurrent.push({ init: dimshuffle(st.shared, ['x', ...st.shared.broadcastable.map((_, k) => k)]), taps: [-1], position: -1, shared: st.shared });
  }
  // A sequence the closed step never reads is not passed (the step count was taken from all).
  const n = stepCount(sequences, opts.nSteps, where);
  const read = readArgs([...inner.outputs, ...inner.stateOutputs]);
  const kept = sequences.map((_, i) => seqArgs[i].some((a) => read.has(a)));
  const keptSeqs = sequences.filter((_, i) => kept[i]);
  const keptArgs = seqArgs.filter((_, i) => kept[i]);
  const layout: ScanLayout = {
    seqTaps: keptSeqs.map((s) => s.taps),
    recTaps: recurrent.map((r) => r.taps),
    nNitsot: nitsot.length,
    nNonseq: inner.outerNonseqs.length,
    truncateGradient: opts.truncateGradient ?? -1,
    name,
    reverse,
  };
  const innerInputs = [...keptArgs.flat(), ...recArgs.flat(), ...inner.stateArgs, ...inner.innerNonseqs];
  const innerOutputs = [...inner.outputs.slice(0, recOutputs.length), ...inner.stateOutputs, ...inner.outputs.slice(recOutputs.length)];
  const node = new ScanOp(layout, innerInputs, innerOutputs).makeNode(n, ...keptSeqs.map((s) => s.outer), ...recurrent.map((r) => r.init), ...inner.outerNonseqs);

  // The user's outputs, in the order the step returned them.
  const outs: Variable[] = new Array(stepOutputs.length);
  const updates = new Map<SharedVariable, Variable>();
  recurrent.forEach((r, j) => {
    const full = node.outputs[j];
    const lag = maxLag(r.taps);
    if (r.shared) updates.set(r.shared, get(full, -1));
    else outs[r.position] = get(full, slice(lag, null));
  });
  let m = 0;
  stepOutputs.forEach((_, i) => {
    if (!isRecurrent(i)) outs[i] = node.outputs[recurrent.length + m++];
  });
  for (const [s, e] of updates) (node.op as ScanOp).sharedUpdates.set(s, e);
  return { node, outputs: outs, updates };
}

export const maxLag = (taps: readonly number[]) => Math.max(...taps.map((t) => -t));

/** The free variables the graph of `outputs` reads. */
function readArgs(outputs: Variable[]): Set<Variable> {
  const read = new Set<Variable>();
  for (const node of toposort(outputs)) node.inputs.forEach((v) => !v.owner && read.add(v));
  outputs.forEach((v) => !v.owner && read.add(v));
  return read;
}

function sequenceOf(s: SequenceArg, i: number, backwards: boolean, where: string): Sequence {
  const dict = isDict(s) && 'input' in s;
  let outer = asVariable((dict ? (s as { input: TensorLike }).input : s) as TensorLike, `${where}: sequences[${i}]`);
  const taps = dict ? [...((s as { taps?: number[] }).taps ?? [0])] : [0];
  if (outer.ndim < 1) throw new TypeError(`${where}: sequences[${i}] must have at least one dimension (the steps), got a scalar`);
  checkTaps(taps, `${where}: sequences[${i}]`, false);
  if (backwards) outer = get(outer, slice(null, null, -1));
  return { outer, taps: [...taps].sort((a, b) => a - b) };
}

function recurrentOf(info: OutputInfoArg, i: number, where: string): Recurrent {
  const label = `${where}: outputsInfo[${i}]`;
  if (isDict(info) && 'initial' in info) {
    const d = info as { initial: TensorLike; taps?: number[] };
    const taps = [...(d.taps ?? [-1])].sort((a, b) => a - b);
    checkTaps(taps, label, true);
    const initial = asVariable(d.initial, label);
    if (taps.length === 1 && taps[0] === -1) return { init: withStepAxis(initial), taps, position: i };
    if (initial.ndim < 1) throw new TypeError(`${label}: with taps ${JSON.stringify(taps)} the initial value needs a leading axis of at least ${maxLag(taps)} rows`);
    return { init: get(initial, slice(0, maxLag(taps))), taps, position: i };
  }
  return { init: withStepAxis(asVariable(info as TensorLike, label)), taps: [-1], position: i };
}

const withStepAxis = (v: Variable) => dimshuffle(v, ['x', ...v.broadcastable.map((_, k) => k)]);

function checkTaps(taps: number[], label: string, past: boolean): void {
  if (taps.length === 0) throw new Error(`${label}: taps must not be empty`);
  taps.forEach((t) => {
    if (!Number.isInteger(t)) throw new TypeError(`${label}: taps must be integers, got ${t}`);
    if (past && t >= 0) throw new RangeError(`${label}: an output's taps must be negative (earlier steps), got ${t}`);
  });
  if (new Set(taps).size !== taps.length) throw new Error(`${label}: taps ${JSON.stringify(taps)} repeat`);
}

/** A variable standing for one row of `outer` (or of an initial-rows buffer). */
function rowVariable(outer: Variable, name: string): Variable {
  return new Variable(new TensorType(outer.dtype, outer.broadcastable.slice(1)), null, 0, name);
}

function stepResultOf(result: StepResult, where: string): { outputs: Variable[]; updates: Map<SharedVariable, Variable> } {
  let outs: unknown = result;
  let ups = new Map<SharedVariable, Variable>();
  if (result instanceof Map) {
    outs = [];
    ups = result as Map<SharedVariable, Variable>;
  } else if (Array.isArray(result) && result.length === 2 && result[1] instanceof Map) {
    outs = result[0];
    ups = result[1] as Map<SharedVariable, Variable>;
  }
  const list = (Array.isArray(outs) ? outs : [outs]) as TensorLike[];
  const outputs = list.map((o, i) => asVariable(o, `${where}: step output ${i}`));
  const updates = new Map<SharedVariable, Variable>();
  for (const [s, e] of ups) {
    if (!(s instanceof SharedVariable)) throw new TypeError(`${where}: the step's updates must be keyed by shared variables`);
    updates.set(s, asVariable(e, `${where}: update of ${s.name ?? 'a shared variable'}`));
  }
  return { outputs, updates };
}

/** The step's new value of a state, checked against (and cast to) the state's type. */
function checkedState(out: Variable, init: Variable, label: string, j: number): Variable {
  const row = init.type.broadcastable.slice(1);
  if (out.ndim !== row.length) throw new TypeError(`${label}: the step returns a ${out.ndim}-d value for a ${row.length}-d state (its initial value, recurrent state ${j})`);
  if (out.dtype !== init.dtype) {
    if (!canCastSafely(out.dtype, init.dtype)) throw new TypeError(`${label}: the step returns ${out.dtype} for a ${init.dtype} state, which loses precision; make the initial value ${out.dtype} or cast the step's result with .astype('${init.dtype}')`);
    return ew('cast', [out], init.dtype);
  }
  return out;
}

/** The number of steps: nSteps, else the rows every sequence has for its taps. */
function stepCount(sequences: Sequence[], nSteps: number | Variable | undefined, where: string): Variable {
  if (nSteps !== undefined && nSteps !== null) {
    if (typeof nSteps === 'number') {
      if (!Number.isInteger(nSteps) || nSteps < 0) throw new RangeError(`${where}: nSteps must be a non-negative integer, got ${nSteps}`);
      return new Constant(intScalar(nSteps));
    }
    const v = asVariable(nSteps, `${where}: nSteps`);
    if (v.ndim !== 0 || !isDiscrete(v.dtype) || v.dtype === 'bool') throw new TypeError(`${where}: nSteps must be an int scalar, got ${v.type.describe()}`);
    return v.dtype === 'int32' ? v : ew('cast', [v], 'int32');
  }
  const lengths = sequences.map((s) => {
    const span = s.taps[s.taps.length - 1] - s.taps[0];
    const rows = shapeOf(s.outer, 0);
    return span === 0 ? rows : ew('sub', [rows, span]);
  });
  return lengths.reduce((a, b) => ew('minimum', [a, b]));
}

const intScalar = (n: number) => new NDArray(Int32Array.of(n), [], 'int32');
