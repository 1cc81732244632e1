/**
 * The draws of random.RandomStreams: RandomDraw gives the sample of one distribution from a
 * stream state (an int32 shared vector, lib/random/philox.ts), RandomAdvance the state after it.
 * They are two single-output nodes reading the same state, so every rewrite and the planner see
 * ordinary ops; the stream's shared variable takes the advanced state as its default update.
 * Neither is differentiable: the sample's gradient wrt the state and the distribution's
 * parameters is disconnected (as Theano's), while a sample used as a mask (dropout) passes
 * gradients to what it multiplies as any other value.
 */
import { Op } from '../graph/op.js';
import { TensorType } from '../graph/type.js';
import { Apply, Constant, Variable } from '../graph/variable.js';
import { registerKernel, KernelSpec } from './kernel.js';
import { DType, TypedArray, isDiscrete } from '../ndarray/dtype.js';
import { formatShape, sizeOf } from '../ndarray/shape.js';
import type { Attrs } from '../compile/program.js';
import { STATE_WORDS } from '../random/philox.js';
import { advanceState, blocksUsed, drawBinomial, drawMultinomial, drawNormal, drawUniform, perBlock } from '../random/draw.js';

export type Distribution = 'uniform' | 'normal' | 'binomial' | 'multinomial';

/** How many parameter inputs follow the state, per distribution. */
const PARAMS: Record<Distribution, number> = { uniform: 2, normal: 2, binomial: 1, multinomial: 1 };

const isOne = (v: Variable) => v instanceof Constant && v.value.size === 1 && v.value.data[0] === 1;

function checkState(state: Variable, where: string): void {
  if (state.ndim !== 1 || state.dtype !== 'int32') throw new TypeError(`${where}: the stream state must be an int32 vector, got ${state.type.describe()}`);
}

/** The uniforms a draw consumes and how many fit in a block, from its attributes and sample shape. */
function usage(attrs: Attrs, sample: number[]): { uniforms: number; per: number } {
  const dist = attrs.dist as Distribution;
  const trials = attrs.trials as number;
  if (dist === 'multinomial') return { uniforms: (sample[0] ?? 1) * trials, per: 2 };
  if (dist === 'binomial') return { uniforms: sizeOf(sample) * trials, per: 2 };
  return { uniforms: sizeOf(sample), per: perBlock(attrs.dtype === 'float32') };
}

/**
 * state, the distribution's parameters (uniform: low, high; normal: avg, std; binomial: p;
 * multinomial: pvals), then one int scalar per axis of the size (none for multinomial).
 */
export class RandomDraw extends Op {
  readonly name = 'RandomDraw';
  constructor(readonly dist: Distribution, readonly dtype: DType, readonly trials = 1) {
    super();
  }
  override key(): string {
    return `RandomDraw{${this.dist},${this.dtype},${this.trials}}`;
  }
  makeNode(state: Variable, ...rest: Variable[]): Apply {
    const where = `random ${this.dist}`;
    checkState(state, where);
    const params = rest.slice(0, PARAMS[this.dist]);
    const dims = rest.slice(PARAMS[this.dist]);
    if (this.dist === 'multinomial') {
      if (params[0].ndim !== 2 || dims.length) throw new TypeError(`${where}: pvals must be a matrix (one distribution per row), got ${params[0].type.describe()}`);
      return new Apply(this, [state, ...params], [new TensorType(this.dtype, params[0].broadcastable)]);
    }
    for (const p of params) if (p.ndim > dims.length) throw new TypeError(`${where}: a parameter of ${p.ndim} dimensions cannot broadcast to a size of ${dims.length}`);
    for (const d of dims) if (d.ndim !== 0 || !isDiscrete(d.dtype)) throw new TypeError(`${where}: sizes must be integer scalars, got ${d.type.describe()}`);
    return new Apply(this, [state, ...params, ...dims], [new TensorType(this.dtype, dims.map(isOne))]);
  }
  override grad(node: Apply): (Variable | null)[] {
    return node.inputs.map(() => null);
  }
  override label(): string {
    return `RandomDraw{${this.dist}${this.trials === 1 ? '' : ` n=${this.trials}`}, ${this.dtype}}`;
  }
  lower(node: Apply): { opcode: string; attrs: Attrs } {
    // Probabilities are checked: a constant now, a computed one by the kernel (then it may fail).
    const probs = this.dist === 'binomial' || this.dist === 'multinomial' ? node.inputs[1] : null;
    if (probs instanceof Constant) checkProbabilities(probs.value.data, `random ${this.dist}`);
    const check = probs !== null && !(probs instanceof Constant);
    return { opcode: `random_${this.dist}`, attrs: { dist: this.dist, dtype: this.dtype, trials: this.trials, check } };
  }
}

/** Throws unless every value is a probability (NaN is not). */
function checkProbabilities(p: ArrayLike<number>, where: string): void {
  for (let i = 0; i < p.length; i++) if (!(p[i] >= 0 && p[i] <= 1)) throw new RangeError(`${where}: probabilities must be in [0, 1], got ${p[i]} at flat index ${i}`);
}

/** The state after a draw: inputs (state, sample); only the sample's shape is read. */
export class RandomAdvance extends Op {
  readonly name = 'RandomAdvance';
  constructor(readonly dist: Distribution, readonly dtype: DType, readonly trials = 1) {
    super();
  }
  override key(): string {
    return `RandomAdvance{${this.dist},${this.dtype},${this.trials}}`;
  }
  makeNode(state: Variable, sample: Variable): Apply {
    checkState(state, 'random state');
    return new Apply(this, [state, sample], [state.type]);
  }
  override grad(): (Variable | null)[] {
    return [null, null];
  }
  lower(): { opcode: string; attrs: Attrs } {
    return { opcode: 'random_advance', attrs: { dist: this.dist, dtype: this.dtype, trials: this.trials } };
  }
}

function stateShapeCheck(shape: number[], where: string): void {
  if (shape.length !== 1 || shape[0] !== STATE_WORDS) throw new Error(`${where}: a stream state holds ${STATE_WORDS} int32 words (key and counter), got shape ${formatShape(shape)}`);
}

function sizeFrom(values: (TypedArray | undefined)[], first: number, where: string): number[] {
  return values.slice(first).map((d, ax) => {
    const n = Number(d![0]);
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`${where}: size ${n} of axis ${ax} is not a non-negative integer`);
    return n;
  });
}

function checkBroadcast(param: number[], out: number[], what: string, where: string): void {
  const lead = out.length - param.length;
  if (lead < 0 || param.some((d, ax) => d !== 1 && d !== out[lead + ax])) throw new Error(`${where}: ${what} of shape ${formatShape(param)} does not broadcast to the size ${formatShape(out)}`);
}

/** Shapes of a sized draw: the size from the value inputs, each parameter broadcast to it. */
function sizedSpec(dist: Exclude<Distribution, 'multinomial'>, names: string[], draw: KernelSpec['js']): KernelSpec {
  const np = PARAMS[dist];
  return {
    opcode: `random_${dist}`,
    valueInputs: (_a, n) => Array.from({ length: n - 1 - np }, (_, i) => i + 1 + np),
    inferShape(attrs, shapes, values) {
      const where = `random ${dist}`;
      stateShapeCheck(shapes[0], where);
      const out = sizeFrom(values, 1 + np, where);
      names.forEach((name, i) => checkBroadcast(shapes[1 + i], out, name, where));
      if (usage(attrs, out).uniforms > 2 ** 52) throw new RangeError(`${where}: a draw of ${formatShape(out)} x ${attrs.trials} is too large`);
      return [out];
    },
    js: draw,
  };
}

registerKernel(
  sizedSpec('uniform', ['low', 'high'], (attrs, s, [out]) => ([st, lo, hi], [o]) => drawUniform(st, { data: lo, shape: s[1] }, { data: hi, shape: s[2] }, o, out, attrs.dtype === 'float32')),
);
registerKernel(
  sizedSpec('normal', ['avg', 'std'], (attrs, s, [out]) => ([st, mu, sd], [o]) => drawNormal(st, { data: mu, shape: s[1] }, { data: sd, shape: s[2] }, o, out, attrs.dtype === 'float32')),
);
registerKernel({
  ...sizedSpec('binomial', ['p'], (attrs, s, [out]) => ([st, p], [o]) => {
    if (attrs.check) checkProbabilities(p, 'random binomial');
    drawBinomial(st, { data: p, shape: s[1] }, attrs.trials as number, o, out);
  }),
  mayFail: (attrs) => attrs.check === true,
});

registerKernel({
  opcode: 'random_multinomial',
  inferShape(attrs, [state, pvals]) {
    stateShapeCheck(state, 'random multinomial');
    if (pvals[1] === 0 && pvals[0] > 0 && (attrs.trials as number) > 0) throw new Error(`random multinomial: pvals of shape ${formatShape(pvals)} has no outcomes to draw`);
    return [pvals];
  },
  mayFail: (attrs) => attrs.check === true,
  js: (attrs, [, [rows, cols]]) => ([st, p], [o]) => {
    if (attrs.check) checkProbabilities(p, 'random multinomial');
    drawMultinomial(st, p, rows, cols, attrs.trials as number, o);
  },
});

registerKernel({
  opcode: 'random_advance',
  inferShape(_a, [state]) {
    stateShapeCheck(state, 'random state');
    return [state];
  },
  // The blocks the draw used, decided once per shape (the native kernel reads the number).
  decide(attrs, [, sample]) {
    const { uniforms, per } = usage(attrs, sample);
    return { blocks: blocksUsed(uniforms, per) };
  },
  js(_a, _s, _o, _t, decision) {
    const blocks = decision!.blocks as number;
    return ([st], [o]) => advanceState(st, blocks, o);
  },
});
