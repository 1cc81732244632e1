/**
 * Scalar ops: the elementwise primitives. Each is defined once here — dtype rule, TypeScript
 * expression, gradient — and lifted to tensors by Elemwise. Fused loops compose them.
 *
 * Semantics shared by both backends: every value is computed in double precision and rounded
 * to the step's dtype after each step (float32: round to nearest float; int32: wrap; bool: 0/1).
 */
import { DType, isDiscrete, isFloat, upcast } from '../ndarray/dtype.js';
import { config } from '../config.js';
import type { Variable } from '../graph/variable.js';
import * as E from './elemwise_builders.js';
import * as S from './special.js';

type Grad = (x: Variable[], out: Variable, gz: Variable) => (Variable | null)[];

export interface ScalarOp {
  name: string;
  arity: number;
  /** Output dtype from the (already unified) input dtypes. */
  outDType(ins: DType[]): DType;
  /** A JS expression over argument expressions (each a double), for a step of dtype `dt`. */
  js(a: string[], dt: DType): string;
  grad?: Grad;
  /** Commutative binary ops let merge see a+b and b+a as one. */
  commutative?: boolean;
}

const floatOf = (d: DType): DType => (isFloat(d) ? d : config.floatX);
const same = (ins: DType[]) => upcast(...ins);
const arith = (ins: DType[]) => {
  const d = upcast(...ins);
  return d === 'bool' ? 'int32' : d;
};
const floaty = (ins: DType[]) => floatOf(upcast(...ins));
const boolOut = () => 'bool' as DType;
const roundingOut = (ins: DType[]): DType => {
  const d = upcast(...ins);
  return isFloat(d) ? d : d === 'bool' ? 'float32' : 'float64';
};
const logical = (ins: DType[]) => {
  const d = upcast(...ins);
  if (isFloat(d)) throw new TypeError(`logical ops need bool or int inputs, got ${ins.join(', ')}`);
  return d;
};

const table = new Map<string, ScalarOp>();
function def(op: ScalarOp) {
  table.set(op.name, op);
}

/** Every scalar op's name, for the check that the native addon implements the same table. */
export function scalarOpNames(): string[] {
  return [...table.keys()].sort();
}

export function scalarOp(name: string): ScalarOp {
  const op = table.get(name);
  if (!op) throw new Error(`unknown elementwise op ${name}`);
  return op;
}

const nograd = (x: Variable[]) => x.map(() => null);

def({ name: 'add', arity: 2, outDType: arith, js: ([a, b]) => `(${a} + ${b})`, commutative: true, grad: (_x, _o, gz) => [gz, gz] });
def({ name: 'sub', arity: 2, outDType: arith, js: ([a, b]) => `(${a} - ${b})`, grad: (_x, _o, gz) => [gz, E.neg(gz)] });
def({ name: 'mul', arity: 2, outDType: arith, js: ([a, b]) => `(${a} * ${b})`, commutative: true, grad: ([a, b], _o, gz) => [E.mul(gz, b), E.mul(gz, a)] });
def({
  name: 'div', arity: 2, outDType: floaty, js: ([a, b]) => `(${a} / ${b})`,
  grad: ([a, b], _o, gz) => [E.div(gz, b), E.neg(E.div(E.mul(gz, a), E.sqr(b)))],
});
def({ name: 'neg', arity: 1, outDType: arith, js: ([a]) => `(-${a})`, grad: (_x, _o, gz) => [E.neg(gz)] });
def({
  name: 'pow', arity: 2, outDType: arith, js: ([a, b]) => `Math.pow(${a}, ${b})`,
  grad: ([a, b], out, gz) => [
    E.mul(gz, E.mul(b, E.pow(a, E.sub(b, 1)))),
    // d/db a^b = a^b log a; defined as 0 where a == 0 (and out == 0) to avoid 0 * -inf.
    E.mul(gz, E.switch_(E.eq(a, 0), 0, E.mul(out, E.log(a)))),
  ],
});
def({ name: 'exp', arity: 1, outDType: floaty, js: ([a]) => `Math.exp(${a})`, grad: (_x, out, gz) => [E.mul(gz, out)] });
def({ name: 'log', arity: 1, outDType: floaty, js: ([a]) => `Math.log(${a})`, grad: ([a], _o, gz) => [E.div(gz, a)] });
def({ name: 'log1p', arity: 1, outDType: floaty, js: ([a]) => `Math.log1p(${a})`, grad: ([a], _o, gz) => [E.div(gz, E.add(a, 1))] });
def({ name: 'expm1', arity: 1, outDType: floaty, js: ([a]) => `Math.expm1(${a})`, grad: (_x, out, gz) => [E.mul(gz, E.add(out, 1))] });
def({ name: 'sqrt', arity: 1, outDType: floaty, js: ([a]) => `Math.sqrt(${a})`, grad: (_x, out, gz) => [E.div(gz, E.mul(out, 2))] });
def({ name: 'sqr', arity: 1, outDType: arith, js: ([a]) => `(${a} * ${a})`, grad: ([a], _o, gz) => [E.mul(gz, E.mul(a, 2))] });
def({ name: 'abs', arity: 1, outDType: arith, js: ([a]) => `Math.abs(${a})`, grad: ([a], _o, gz) => [E.mul(gz, E.sign(a))] });
def({ name: 'sign', arity: 1, outDType: arith, js: ([a]) => `H.sign(${a})`, grad: (x) => nograd(x) });
def({ name: 'tanh', arity: 1, outDType: floaty, js: ([a]) => `Math.tanh(${a})`, grad: (_x, out, gz) => [E.mul(gz, E.sub(1, E.sqr(out)))] });
def({
  name: 'sigmoid', arity: 1, outDType: floaty, js: ([a]) => `H.sigmoid(${a})`,
  grad: (_x, out, gz) => [E.mul(gz, E.mul(out, E.sub(1, out)))],
});
def({ name: 'softplus', arity: 1, outDType: floaty, js: ([a]) => `H.softplus(${a})`, grad: ([a], _o, gz) => [E.mul(gz, E.sigmoid(a))] });
def({
  name: 'relu', arity: 1, outDType: same, js: ([a]) => `(${a} > 0 ? ${a} : 0)`,
  // The mask is read off the output, so the pre-activation need not outlive the forward pass
  // (and bias + relu fuse into one loop). relu(a) > 0 exactly when a > 0, NaN included.
  grad: (_a, o, gz) => [E.mul(gz, E.cast(E.gt(o, 0), gz.dtype))],
});
def({
  name: 'maximum', arity: 2, outDType: arith, js: ([a, b]) => `H.maximum(${a}, ${b})`, commutative: true,
  // Ties send the gradient to the first argument, as numpy-based frameworks usually do.
  grad: ([a, b], _o, gz) => [E.mul(gz, E.cast(E.ge(a, b), gz.dtype)), E.mul(gz, E.cast(E.lt(a, b), gz.dtype))],
});
def({
  name: 'minimum', arity: 2, outDType: arith, js: ([a, b]) => `H.minimum(${a}, ${b})`, commutative: true,
  grad: ([a, b], _o, gz) => [E.mul(gz, E.cast(E.le(a, b), gz.dtype)), E.mul(gz, E.cast(E.gt(a, b), gz.dtype))],
});
def({
  name: 'clip', arity: 3, outDType: arith, js: ([x, lo, hi]) => `H.minimum(H.maximum(${x}, ${lo}), ${hi})`,
  grad: ([x, lo, hi], _o, gz) => [E.mul(gz, E.cast(E.and(E.ge(x, lo), E.le(x, hi)), gz.dtype)), null, null],
});
def({
  name: 'switch', arity: 3, outDType: (ins) => arith(ins.slice(1)), js: ([c, a, b]) => `(${c} !== 0 ? ${a} : ${b})`,
  grad: ([c], _o, gz) => [null, E.switch_(c, gz, E.zerosLikeElem(gz)), E.switch_(c, E.zerosLikeElem(gz), gz)],
});
for (const [name, sym] of [['gt', '>'], ['ge', '>='], ['lt', '<'], ['le', '<='], ['eq', '==='], ['neq', '!==']] as const) {
  def({ name, arity: 2, outDType: boolOut, js: ([a, b]) => `(${a} ${sym} ${b} ? 1 : 0)`, commutative: name === 'eq' || name === 'neq', grad: nograd });
}
def({
  name: 'and', arity: 2, outDType: logical, commutative: true, grad: nograd,
  js: ([a, b]) => `(${a} & ${b})`,
});
def({ name: 'or', arity: 2, outDType: logical, commutative: true, grad: nograd, js: ([a, b]) => `(${a} | ${b})` });
def({
  name: 'not', arity: 1, outDType: logical, grad: nograd,
  js: ([a], dt) => (dt === 'bool' ? `(${a} === 0 ? 1 : 0)` : `(~${a})`),
});
// Theano's rule (upgrade_to_float): int32 gives float64, bool float32, whatever floatX is.
def({ name: 'floor', arity: 1, outDType: roundingOut, js: ([a]) => `Math.floor(${a})`, grad: (x) => nograd(x) });
def({ name: 'ceil', arity: 1, outDType: roundingOut, js: ([a]) => `Math.ceil(${a})`, grad: (x) => nograd(x) });
def({ name: 'round', arity: 1, outDType: roundingOut, js: ([a]) => `H.roundHalfEven(${a})`, grad: (x) => nograd(x) });
def({
  name: 'identity', arity: 1, outDType: same, js: ([a]) => a,
  grad: (_x, _o, gz) => [gz],
});
/** second(a, b): b broadcast to the shape of both (Theano's `second`, used to fill). */
def({ name: 'second', arity: 2, outDType: (ins) => ins[1], js: ([, b]) => b, grad: (_x, _o, gz) => [null, gz] });
/** cast: its dtype is the step's dtype; the value is rounded by the step's rounding rule. */
def({
  name: 'cast', arity: 1, outDType: same, js: ([a]) => a,
  grad: ([a], _o, gz) => [isDiscrete(a.dtype) ? null : E.cast(gz, a.dtype)],
});

// Integer division and remainder as numpy's floor_divide and remainder (Theano's // and %):
// the remainder has the sign of the divisor; a zero integer divisor gives 0.
def({ name: 'int_div', arity: 2, outDType: arith, js: ([a, b]) => `H.intDiv(${a}, ${b})`, grad: nograd });
def({ name: 'mod', arity: 2, outDType: arith, js: ([a, b]) => `H.mod(${a}, ${b})`, grad: ([a, b], _o, gz) => [gz, E.neg(E.mul(gz, E.intDiv(a, b)))] });

// Trigonometric and hyperbolic functions.
const recipSqrt = (v: Variable) => E.div(1, E.sqrt(v));
def({ name: 'sin', arity: 1, outDType: floaty, js: ([a]) => `Math.sin(${a})`, grad: ([a], _o, gz) => [E.mul(gz, E.cos(a))] });
def({ name: 'cos', arity: 1, outDType: floaty, js: ([a]) => `Math.cos(${a})`, grad: ([a], _o, gz) => [E.neg(E.mul(gz, E.sin(a)))] });
def({ name: 'tan', arity: 1, outDType: floaty, js: ([a]) => `Math.tan(${a})`, grad: (_x, out, gz) => [E.mul(gz, E.add(1, E.sqr(out)))] });
def({ name: 'arcsin', arity: 1, outDType: floaty, js: ([a]) => `Math.asin(${a})`, grad: ([a], _o, gz) => [E.mul(gz, recipSqrt(E.sub(1, E.sqr(a))))] });
def({ name: 'arccos', arity: 1, outDType: floaty, js: ([a]) => `Math.acos(${a})`, grad: ([a], _o, gz) => [E.neg(E.mul(gz, recipSqrt(E.sub(1, E.sqr(a)))))] });
def({ name: 'arctan', arity: 1, outDType: floaty, js: ([a]) => `Math.atan(${a})`, grad: ([a], _o, gz) => [E.div(gz, E.add(1, E.sqr(a)))] });
def({
  name: 'arctan2', arity: 2, outDType: floaty, js: ([y, x]) => `Math.atan2(${y}, ${x})`,
  grad: ([y, x], _o, gz) => {
    const r2 = E.add(E.sqr(x), E.sqr(y));
    return [E.div(E.mul(gz, x), r2), E.neg(E.div(E.mul(gz, y), r2))];
  },
});
def({ name: 'sinh', arity: 1, outDType: floaty, js: ([a]) => `Math.sinh(${a})`, grad: ([a], _o, gz) => [E.mul(gz, E.cosh(a))] });
def({ name: 'cosh', arity: 1, outDType: floaty, js: ([a]) => `Math.cosh(${a})`, grad: ([a], _o, gz) => [E.mul(gz, E.sinh(a))] });
def({ name: 'arcsinh', arity: 1, outDType: floaty, js: ([a]) => `Math.asinh(${a})`, grad: ([a], _o, gz) => [E.mul(gz, recipSqrt(E.add(E.sqr(a), 1)))] });
def({ name: 'arccosh', arity: 1, outDType: floaty, js: ([a]) => `Math.acosh(${a})`, grad: ([a], _o, gz) => [E.mul(gz, recipSqrt(E.sub(E.sqr(a), 1)))] });
def({ name: 'arctanh', arity: 1, outDType: floaty, js: ([a]) => `Math.atanh(${a})`, grad: ([a], _o, gz) => [E.div(gz, E.sub(1, E.sqr(a)))] });

// Logarithms and powers of other bases.
def({ name: 'log2', arity: 1, outDType: floaty, js: ([a]) => `Math.log2(${a})`, grad: ([a], _o, gz) => [E.div(gz, E.mul(a, Math.LN2))] });
def({ name: 'log10', arity: 1, outDType: floaty, js: ([a]) => `Math.log10(${a})`, grad: ([a], _o, gz) => [E.div(gz, E.mul(a, Math.LN10))] });
def({ name: 'exp2', arity: 1, outDType: floaty, js: ([a]) => `Math.pow(2, ${a})`, grad: (_x, out, gz) => [E.mul(gz, E.mul(out, Math.LN2))] });

def({ name: 'isnan', arity: 1, outDType: boolOut, js: ([a]) => `(${a} !== ${a} ? 1 : 0)`, grad: nograd });
def({ name: 'isinf', arity: 1, outDType: boolOut, js: ([a]) => `(${a} === Infinity || ${a} === -Infinity ? 1 : 0)`, grad: nograd });

// Special functions (lib/ops/special.ts: algorithms and their accuracy).
const TWO_OVER_SQRT_PI = 1.1283791670955126;
def({ name: 'erf', arity: 1, outDType: floaty, js: ([a]) => `H.erf(${a})`, grad: ([a], _o, gz) => [E.mul(gz, E.mul(TWO_OVER_SQRT_PI, E.exp(E.neg(E.sqr(a)))))] });
def({ name: 'erfc', arity: 1, outDType: floaty, js: ([a]) => `H.erfc(${a})`, grad: ([a], _o, gz) => [E.neg(E.mul(gz, E.mul(TWO_OVER_SQRT_PI, E.exp(E.neg(E.sqr(a))))))] });
def({ name: 'erfinv', arity: 1, outDType: floaty, js: ([a]) => `H.erfinv(${a})`, grad: (_x, out, gz) => [E.mul(gz, E.mul(1 / TWO_OVER_SQRT_PI, E.exp(E.sqr(out))))] });
def({ name: 'gamma', arity: 1, outDType: floaty, js: ([a]) => `H.gamma(${a})`, grad: ([a], out, gz) => [E.mul(gz, E.mul(out, E.psi(a)))] });
def({ name: 'gammaln', arity: 1, outDType: floaty, js: ([a]) => `H.gammaln(${a})`, grad: ([a], _o, gz) => [E.mul(gz, E.psi(a))] });
def({ name: 'psi', arity: 1, outDType: floaty, js: ([a]) => `H.psi(${a})`, grad: ([a], _o, gz) => [E.mul(gz, E.trigamma(a))] });
def({ name: 'trigamma', arity: 1, outDType: floaty, js: ([a]) => `H.trigamma(${a})`, grad: ([a], _o, gz) => [E.mul(gz, E.tetragamma(a))] });
// The end of the chain: a third derivative of psi raises "not differentiable".
def({ name: 'tetragamma', arity: 1, outDType: floaty, js: ([a]) => `H.tetragamma(${a})` });

/** Helpers the generated JS loops call; the native kernels implement the same functions. */
export const H = {
  sign: (x: number) => (x > 0 ? 1 : x < 0 ? -1 : x),
  sigmoid: (x: number) => {
    if (x >= 0) return 1 / (1 + Math.exp(-x));
    const e = Math.exp(x);
    return e / (1 + e);
  },
  softplus: (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))),
  // NaN propagates, as numpy's maximum/minimum do.
  maximum: (a: number, b: number) => (a >= b || a !== a ? a : b),
  minimum: (a: number, b: number) => (a <= b || a !== a ? a : b),
  intDiv: S.intDiv,
  mod: S.mod,
  erf: S.erf,
  erfc: S.erfc,
  erfinv: S.erfinv,
  gamma: S.gamma,
  gammaln: S.gammaln,
  psi: S.psi,
  trigamma: S.trigamma,
  tetragamma: S.tetragamma,
  roundHalfEven: (x: number) => {
    const r = Math.round(x);
    return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
  },
};

/** The JS expression that rounds a double to a dtype (the per-step rounding rule). */
export function roundTo(dtype: DType, expr: string): string {
  switch (dtype) {
    case 'float64': return expr;
    case 'float32': return `Math.fround(${expr})`;
    case 'int32': return `(${expr} | 0)`;
    case 'bool': return `(${expr} !== 0 ? 1 : 0)`;
  }
}
