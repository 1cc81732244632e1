/**
 * fn(inputs, outputs, {updates, givens, ...}): Theano's theano.function. Builds a private copy of
 * the graph, rewrites it, lowers it to a Program, and returns a callable that picks (or makes)
 * the plan for the shapes it is given and runs it on the chosen backend.
 */
import { Constant, SharedVariable, Variable } from '../graph/variable.js';
import { FunctionGraph } from '../graph/fgraph.js';
import { TensorLike, asVariable } from '../graph/as_variable.js';
import { NDArray } from '../ndarray/ndarray.js';
import type { ArrayLike } from '../ndarray/ndarray.js';
import { TypedArray, allocate, canCastSafely } from '../ndarray/dtype.js';
import { formatShape, shapesEqual, sizeOf } from '../ndarray/shape.js';
import { applyElemwise as ew } from '../ops/elemwise.js';
import { rewriteGraph } from '../rewrite/index.js';
import { LoweredProgram, lower } from './lower.js';
import { fuseRowPasses } from './rowpass.js';
import { fuseColumnSums } from './colsum.js';
import { hasValueShapes, makePlan, planHolds, signatureOf } from './plan.js';
import type { Plan } from './program.js';
import { convertInput, describeInput } from './inputs.js';
import { config, BackendName } from '../config.js';
import { ResolvedBackend, createExecutor, resolveBackend } from '../backend/select.js';
import type { CallBuffers, Executor } from '../backend/executor.js';
import { assertNoPendingCalls, serialize } from './queue.js';
import { UnusedInputMode, checkGivenDType, checkUnusedInputs, entriesOf, keywordArguments } from './fn_args.js';
import { shareStorage, sharedCopy } from '../backend/js/workers.js';
import { defaultUpdates } from './default_updates.js';
import { collectiveCount, collectiveOrder, joinAsFailed, joiningOnFailure } from '../distributed/abandon.js';

/** Updates for {@link fn}: pairs `[shared, newValue]` or a Map. */
export type UpdatesLike = readonly (readonly [SharedVariable, TensorLike])[] | Map<SharedVariable, TensorLike>;
/** Givens for {@link fn}: pairs `[variable, replacement]` or a Map; each replaces the variable in the graph. */
export type GivensLike = readonly (readonly [Variable, TensorLike])[] | Map<Variable, TensorLike>;

/** Options of {@link fn}. */
export interface FnOptions {
  updates?: UpdatesLike;
  givens?: GivensLike;
  name?: string;
  backend?: BackendName;
  /** true: any input cast is allowed; false: only safe casts; default: safe casts plus float64 → floatX. */
  allowInputDowncast?: boolean;
  /** Most plans (input-shape signatures) kept per function. */
  maxPlans?: number;
  /**
   * false: skip the rewrites that only make things faster (elementwise fusion, one-pass
   * products); the stabilizing rewrites always run. For comparing and debugging.
   */
  optimize?: boolean;
  /** An input that no output or update uses: an error ('raise', the default, as Theano), a warning, or nothing. */
  onUnusedInput?: UnusedInputMode;
  /**
   * true: shared variables with a `defaultUpdate` (random stream states) are not updated unless
   * listed in `updates`, so every call draws the same numbers. Default false, as Theano's
   * `no_default_updates`.
   */
  noDefaultUpdates?: boolean;
}

/** What {@link fn} returns: call it with one argument per input (NDArrays, nested arrays or typed arrays). */
export interface CompiledFunction<R> {
  (...args: ArrayLike[]): R;
  /**
   * Runs the call off the event loop where the backend can (native); calls sharing variables
   * run in call order. While such calls are pending, getValue() of a variable they update gives
   * its value as of the last finished call, setValue() is queued behind them, and a synchronous
   * call that uses the same shared variables throws an Error (it cannot wait): await first.
   */
  async(...args: ArrayLike[]): Promise<R>;
  readonly backend: ResolvedBackend;
  /** Why the native backend is not used, when it is not. */
  readonly backendReason?: string;
  readonly name: string;
  readonly program: LoweredProgram;
  readonly inputs: readonly Variable[];
  readonly fgraph: FunctionGraph;
  /** The plan used by the last call (shapes, arena bytes), for inspection. */
  readonly lastPlan: Plan | null;
  /** How many plans (with their executors and arenas) the function holds now. */
  readonly planCount: number;
  /**
   * Releases the plans' memory (native arenas included) at once instead of at garbage
   * collection, like Theano's `free()`. The function stays usable: the next call plans again.
   */
  free(): void;
}

interface Entry {
  plan: Plan;
  executor: Executor;
  key: string;
}

let anonymous = 0;

/**
 * Compile a graph into a callable, like `theano.function`: the graph is rewritten (stabilised,
 * fused, BLAS calls inserted) and lowered to a Program that runs on the native or the js backend.
 * With one output Variable the call returns an NDArray; with a list, an array of NDArrays.
 * `opts.updates` are applied atomically after each successful call.
 * @example
 * ```ts
 * const x = T.matrix('x'), y = T.vector('y');
 * const w = shared(zeros(784), 'w');
 * const cost = T.nnet.binaryCrossentropy(T.nnet.sigmoid(x.dot(w)), y).mean();
 * const train = fn([x, y], cost, { updates: [[w, w.sub(grad(cost, w).mul(0.1))]], name: 'train' });
 * const loss = train(X, Y).item();
 * ```
 */
export function fn(inputs: readonly Variable[], outputs: Variable, opts?: FnOptions): CompiledFunction<NDArray>;
/**
 * The same with a list of outputs (or none): the call returns an array of NDArrays.
 * @example
 * ```ts
 * const step = fn([x, y], [prediction, xent], { updates });
 * const [pred, loss] = step(X, Y);
 * ```
 */
export function fn(inputs: readonly Variable[], outputs?: readonly Variable[] | null, opts?: FnOptions): CompiledFunction<NDArray[]>;
export function fn(inputs: readonly Variable[], outputs?: Variable | readonly Variable[] | null, opts: FnOptions = {}): CompiledFunction<NDArray | NDArray[]> {
  const name = opts.name ?? `fn${++anonymous}`;
  const where = `fn '${name}'`;
  if (!Array.isArray(inputs)) throw new TypeError(`${where}: inputs must be an array of Variables`);
  inputs.forEach((v, i) => {
    if (!(v instanceof Variable)) throw new TypeError(`${where}: input ${i} is not a Variable`);
    if (v instanceof Constant || v instanceof SharedVariable) throw new TypeError(`${where}: ${describeInput(v, i)} is a ${v instanceof Constant ? 'constant' : 'shared variable'}; inputs must be symbolic variables`);
    if (v.owner) throw new TypeError(`${where}: ${describeInput(v, i)} is computed from other variables; inputs must be free variables (T.matrix(...), ...)`);
    if (inputs.indexOf(v) !== i) throw new TypeError(`${where}: ${describeInput(v, i)} is given twice`);
  });
  const single = outputs instanceof Variable;
  const outs = outputs == null ? [] : single ? [outputs as Variable] : [...(outputs as Variable[])];
  outs.forEach((v, i) => {
    if (!(v instanceof Variable)) throw new TypeError(`${where}: output ${i} is not a Variable`);
  });

  const updatePairs = normalizeUpdates(opts.updates, where);
  const givens = normalizeGivens(opts.givens, where, opts.allowInputDowncast);
  if (!opts.noDefaultUpdates) updatePairs.push(...defaultUpdates([...outs, ...updatePairs.map((u) => u[1]), ...givens.values()], updatePairs.map((u) => u[0]), new Set(givens.keys())));
  const fg = new FunctionGraph(inputs, [...outs, ...updatePairs.map((u) => u[1])], givens);
  const optimize = opts.optimize !== false;
  rewriteGraph(fg, { fusion: optimize });
  const lowered = lower({ fg, inputs: [...inputs], nOutputs: outs.length, updated: updatePairs.map((u) => u[0]), where });
  // After lowering, which names a missing input first (the more useful error).
  checkUnusedInputs(inputs, [...outs, ...updatePairs.map((u) => u[1])], givens, opts.onUnusedInput ?? 'raise', where);
  const program = (optimize ? fuseColumnSums(fuseRowPasses(lowered)) : lowered) as LoweredProgram;
  const { backend, reason } = resolveBackend(opts.backend ?? config.backend, where);

  // Plans grouped by input shapes; within a group, a plan made for some index values serves
  // every call whose values give the same shapes (planHolds checks that).
  const plans = new Map<string, Entry[]>();
  const age: Entry[] = [];
  const maxPlans = opts.maxPlans ?? 32;
  let lastPlan: Plan | null = null;
  let last: { inShapes: number[][]; shShapes: number[][]; entry: Entry } | null = null;
  const byValue = hasValueShapes(program);
  const release = (e: Entry) => e.executor.free?.();
  // An evicted plan's native memory is freed now, not when the garbage collector runs (a
  // training loop may never give it the chance). A call still running it keeps it alive.
  const evict = (e: Entry) => {
    age.splice(age.indexOf(e), 1);
    const group = plans.get(e.key)!;
    group.splice(group.indexOf(e), 1);
    if (group.length === 0) plans.delete(e.key);
    if (last?.entry === e) last = null;
    release(e);
  };
  const sameShapes = (a: number[][], b: number[][]) => a.length === b.length && a.every((s, i) => shapesEqual(s, b[i]));
  const sharedVars = program.sharedVariables;
  // What the call queue orders this function's calls by: its shared variables, and the job's collectives.
  const queueKeys = collectiveCount(program) > 0 ? [...sharedVars, collectiveOrder] : sharedVars;

  const prepare = (given: unknown[]) => {
    const args = keywordArguments(inputs, given, where);
    if (args.length !== inputs.length) {
      throw new TypeError(`${where}: expected ${inputs.length} argument(s) (${inputs.map((v, i) => v.name ?? `input ${i}`).join(', ')}), got ${args.length}`);
    }
    return args.map((a, i) => convertInput(`${where}, ${describeInput(inputs[i], i)}`, inputs[i], a, opts.allowInputDowncast));
  };

  /**
   * Pick the plan and allocate the results; nothing is written to shared storage here. With
   * `privateCopy` (a call running off the event loop), updated variables are computed in
   * copies of their storage that finish() publishes: getValue() meanwhile reads the old value
   * whole, never a half-written one.
   */
  const begin = (conv: ReturnType<typeof prepare>, privateCopy?: (a: TypedArray) => TypedArray) => {
    const values = sharedVars.map((s) => s.container.value);
    const inShapes = conv.map((c) => c.shape);
    const inData = conv.map((c) => c.data);
    const shShapes = values.map((v) => v.shape as number[]);
    const shData = values.map((v) => v.data);
    const holds = (e: Entry) => !byValue || planHolds(program, e.plan, inData, shData);
    if (privateCopy) for (const u of program.updates) if (shData[u.shared] === values[u.shared].data) shData[u.shared] = privateCopy(shData[u.shared]);
    // Training loops call with the same shapes every time: compare them before building a key.
    const repeat = last !== null && sameShapes(inShapes, last.inShapes) && sameShapes(shShapes, last.shShapes) && holds(last.entry);
    let entry = repeat ? last!.entry : undefined;
    if (!entry) {
      const key = signatureOf(inShapes, shShapes);
      const group = plans.get(key) ?? [];
      entry = group.find(holds);
      if (!entry) {
        let plan: Plan;
        try {
          plan = makePlan(program, { inputShapes: inShapes, sharedShapes: shShapes, inputData: inData, sharedData: shData });
        } catch (e) {
          throw withContext(e, where);
        }
        try {
          entry = { plan, executor: createExecutor(backend, program, plan), key };
        } catch (e) {
          throw withContext(e, `${where}: cannot set up the plan (temporaries ${plan.tempBytes} bytes)`);
        }
        if (age.length >= maxPlans) evict(age[0]);
        group.push(entry);
        plans.set(key, group);
        age.push(entry);
      }
    }
    const { plan } = entry;
    lastPlan = plan;
    last = { inShapes, shShapes, entry };
    const outArrays = program.outputs.map((b, i) => {
      try {
        return new NDArray(allocate(program.buffers[b].dtype, sizeOf(plan.shapes[b])), plan.shapes[b], program.buffers[b].dtype);
      } catch (e) {
        throw withContext(e, `${where}: cannot allocate output ${i} of shape ${formatShape(plan.shapes[b])}`);
      }
    });
    const targets = program.updates.map((u) => {
      const s = sharedVars[u.shared];
      const shape = plan.shapes[u.buffer];
      const cur = s.container.value;
      if (shapesEqual(cur.shape, shape)) return shData[u.shared];
      s.broadcastable.forEach((b, ax) => {
        if (b && shape[ax] !== 1) throw new Error(`${where}: the update of shared variable ${s.name ?? ''} has shape ${formatShape(shape)}, but its axis ${ax} is broadcastable (length 1)`);
      });
      return allocate(s.dtype, sizeOf(shape));
    });
    const call: CallBuffers = { inputs: inData, shared: shData, outputs: outArrays.map((o) => o.data), updates: targets };
    return { entry, outArrays, targets, call };
  };

  /** After a successful run: shared variables whose shape changed take their new arrays. */
  const finish = ({ entry, outArrays, targets }: ReturnType<typeof begin>): NDArray | NDArray[] => {
    program.updates.forEach((u, i) => {
      const s = sharedVars[u.shared];
      if (targets[i] !== s.container.value.data) s.container.value = new NDArray(targets[i], entry.plan.shapes[u.buffer], s.dtype);
    });
    return single ? outArrays[0] : outArrays;
  };

  // A call that fails before its run still joins its collectives, so peer ranks do not hang.
  const execute = (conv: ReturnType<typeof prepare>): NDArray | NDArray[] => runNow(joiningOnFailure(program, () => begin(conv)));

  const runNow = (b: ReturnType<typeof begin>): NDArray | NDArray[] => {
    try {
      b.entry.executor.run(b.call);
    } catch (e) {
      throw withContext(e, where);
    }
    return finish(b);
  };

  const executeAsync = async (conv: ReturnType<typeof prepare>): Promise<NDArray | NDArray[]> => {
    // js: a worker thread runs the call on shared memory (lib/backend/js/workers.ts); updated
    // variables are computed in private copies on both backends, published when the call ends.
    if (backend === 'js') sharedVars.forEach(shareStorage);
    const b = joiningOnFailure(program, () => begin(conv, backend === 'js' ? sharedCopy : (a) => a.slice()));
    const ex = b.entry.executor;
    if (!ex.runAsync) return runNow(b);
    try {
      await ex.runAsync(b.call);
    } catch (e) {
      throw withContext(e, where);
    }
    return finish(b);
  };

  // A synchronous call cannot wait for async calls queued on its shared variables, and running
  // before them would reorder the updates: it is refused with an Error instead.
  const f = ((...args: unknown[]) => {
    return execute(joiningOnFailure(program, () => {
      assertNoPendingCalls(queueKeys, where);
      return prepare(args);
    }));
  }) as CompiledFunction<NDArray | NDArray[]>;
  const props: PropertyDescriptorMap = {
    backend: { value: backend, enumerable: true },
    backendReason: { value: reason, enumerable: true },
    name: { value: name },
    program: { value: program },
    inputs: { value: [...inputs] },
    fgraph: { value: fg },
    lastPlan: { get: () => lastPlan },
    planCount: { get: () => age.length },
    free: {
      value: () => {
        while (age.length) evict(age[0]);
        lastPlan = null;
      },
    },
    async: {
      value: (...args: unknown[]) => {
        let conv: ReturnType<typeof prepare>;
        try {
          // Inputs are checked and copied now, so the caller may reuse its arrays at once.
          conv = prepare(args).map((c) => ({ data: backend === 'js' ? sharedCopy(c.data) : c.data.slice(), shape: c.shape }));
        } catch (e) {
          // Its collectives are joined as failed in their turn, behind the calls queued before it.
          if (collectiveCount(program) === 0) return Promise.reject(e);
          return serialize(queueKeys, () => {
            joinAsFailed(program);
            throw e;
          });
        }
        return serialize(queueKeys, () => executeAsync(conv));
      },
    },
  };
  Object.defineProperties(f, props);
  return f;
}

function withContext(e: unknown, where: string): Error {
  if (e instanceof Error) {
    if (!e.message.startsWith(where)) e.message = `${where}: ${e.message}`;
    return e;
  }
  return new Error(`${where}: ${String(e)}`);
}

function normalizeUpdates(updates: UpdatesLike | undefined, where: string): [SharedVariable, Variable][] {
  if (!updates) return [];
  const pairs = entriesOf<SharedVariable, TensorLike>(updates, 'updates', where);
  const seen = new Set<SharedVariable>();
  return pairs.map((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2) throw new TypeError(`${where}: update ${i} must be a [sharedVariable, expression] pair`);
    const [s, e] = pair;
    if (!(s instanceof SharedVariable)) throw new TypeError(`${where}: update ${i}: the target must be a shared variable, got ${(s as unknown) instanceof Variable ? 'a symbolic variable' : typeof s}`);
    if (seen.has(s)) throw new Error(`${where}: shared variable ${s.name ?? `(update ${i})`} is updated twice`);
    seen.add(s);
    let v = asVariable(e, `${where}: update ${i}`);
    const label = `${where}: update of ${s.name ?? `shared variable ${i}`}`;
    if (v.ndim !== s.ndim) throw new TypeError(`${label}: expected a ${s.ndim}-d value (${s.type.describe()}), got ${v.ndim}-d (${v.type.describe()})`);
    if (v.dtype !== s.dtype) {
      if (!canCastSafely(v.dtype, s.dtype)) throw new TypeError(`${label}: the expression is ${v.dtype} and cannot be stored in a ${s.dtype} variable without losing precision; cast it with .astype('${s.dtype}')`);
      v = ew('cast', [v], s.dtype);
    }
    return [s, v];
  });
}

function normalizeGivens(givens: GivensLike | undefined, where: string, allowDowncast: boolean | undefined): Map<Variable, Variable> {
  const m = new Map<Variable, Variable>();
  if (!givens) return m;
  const pairs = entriesOf<Variable, TensorLike>(givens, 'givens', where);
  pairs.forEach((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2) throw new TypeError(`${where}: givens ${i} must be a [variable, replacement] pair`);
    const [k, e] = pair;
    if (!(k instanceof Variable)) throw new TypeError(`${where}: givens ${i}: the key must be a Variable`);
    const v = asVariable(e, `${where}: givens ${i}`);
    if (v.ndim !== k.ndim) throw new TypeError(`${where}: givens ${i}: replacing a ${k.ndim}-d ${k.name ?? 'variable'} with a ${v.ndim}-d value`);
    m.set(k, checkGivenDType(k, v, i, where, allowDowncast) ? ew('cast', [v], k.dtype) : v);
  });
  return m;
}
