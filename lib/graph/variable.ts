/** The nodes of an expression graph: Variables and the Apply nodes that produce them. */
import { NDArray } from '../ndarray/ndarray.js';
import { TensorType } from './type.js';
import type { Op } from './op.js';

let nextId = 1;

/** A node of the graph: an Op applied to input variables, giving output variables. */
export class Apply {
  readonly op: Op;
  inputs: Variable[];
  readonly outputs: Variable[];
  /** Where the FunctionGraph holding this node keeps it in its order (lib/graph/order.ts). */
  orderEntry: unknown = null;

  constructor(op: Op, inputs: Variable[], outputTypes: TensorType[]) {
    this.op = op;
    this.inputs = inputs;
    this.outputs = outputTypes.map((t, i) => new Variable(t, this, i));
  }
}

/**
 * A symbolic tensor. Fluent methods (x.add(y), x.T, ...) are attached in lib/tensor/fluent.ts.
 * @example
 * ```ts
 * const x = T.matrix('x');
 * const y = x.dot(w).add(b).relu();  // every op is also a method
 * ```
 */
export class Variable {
  readonly id = nextId++;
  readonly type: TensorType;
  owner: Apply | null;
  readonly index: number;
  name: string | undefined;
  /** The readers of a computed variable, kept by the FunctionGraph holding its node (lib/graph/fgraph.ts). */
  readersEntry: unknown = null;

  constructor(type: TensorType, owner: Apply | null = null, index = 0, name?: string) {
    this.type = type;
    this.owner = owner;
    this.index = index;
    this.name = name;
  }

  get dtype() {
    return this.type.dtype;
  }
  get ndim(): number {
    return this.type.ndim;
  }
  get broadcastable(): readonly boolean[] {
    return this.type.broadcastable;
  }

  /** The name, or a short description, for messages and debugprint. */
  toString(): string {
    if (this.name) return this.name;
    if (this.owner) return `${this.owner.op.name}.${this.index}`;
    return `<${this.type.describe()}>`;
  }

  /**
   * JS operators (x + y, w ** 2, x > 0) would turn the Variable into a number (NaN) or a string
   * and build no graph: refuse, and name the methods to use. Template strings still get the name.
   */
  [Symbol.toPrimitive](hint: string): string {
    if (hint === 'string') return this.toString();
    throw new TypeError(operatorMessage(this));
  }
  valueOf(): never {
    throw new TypeError(operatorMessage(this));
  }
}

function operatorMessage(v: Variable): string {
  return (
    `the Variable ${v.toString()} was used with a JavaScript operator, which cannot build a graph; use the methods instead: ` +
    `a + b → a.add(b), a - b → a.sub(b), a * b → a.mul(b), a / b → a.div(b), a ** b → a.pow(b), a % b → a.mod(b), ` +
    `(Python's a // b → a.intDiv(b)), -a → a.neg(), a > b → a.gt(b), a >= b → a.ge(b), a < b → a.lt(b), a <= b → a.le(b) (or T.add(a, b), ...)`
  );
}

/**
 * A variable with a fixed value, made from numbers and NDArrays in expressions.
 * @example
 * ```ts
 * const c = new Constant(array([1, 2]));  // what T.add(x, [1, 2]) makes of [1, 2]
 * ```
 */
export class Constant extends Variable {
  readonly value: NDArray;
  constructor(value: NDArray, name?: string) {
    super(new TensorType(value.dtype, value.shape.map((d) => d === 1)), null, 0, name);
    this.value = value;
  }
  /** The name, or a short description, for messages and debugprint. */
  override toString(): string {
    if (this.name) return this.name;
    return this.value.size <= 4 ? `Constant{${this.value.toString().replace(/\s+/g, ' ')}}` : `Constant{${this.value.dtype}${JSON.stringify(this.value.shape)}}`;
  }
}

/**
 * A variable whose value persists between calls of compiled functions.
 * @example
 * ```ts
 * const w = shared(zeros(784), 'w');
 * w.setValue(w.getValue().astype('float64'));
 * ```
 */
export class SharedVariable extends Variable {
  /** The current value. Compiled functions read and replace `container.value` in place. */
  readonly container: { value: NDArray };
  /**
   * The value this variable takes after each call of a compiled function that reads it, unless
   * the function updates it explicitly or is compiled with `noDefaultUpdates` (Theano's
   * default_update): how a random stream's state moves on (lib/compile/default_updates.ts).
   */
  defaultUpdate?: Variable;

  constructor(value: NDArray, type: TensorType, name?: string) {
    super(type, null, 0, name);
    this.container = { value };
  }

  /**
   * The current value: a copy, or with `{ borrow: true }` the variable's own storage (see
   * lib/shared.ts for what the caller may then do with it).
   */
  getValue(opts?: { borrow?: boolean }): NDArray {
    return opts?.borrow ? borrowSharedValue(this) : this.container.value.copy();
  }

  /**
   * Replace the value; it must fit the variable's type (the casting rules of fn inputs, ndim,
   * broadcastable axes). Ordered with async calls in flight that use the variable (lib/shared.ts).
   * `{ borrow: true }` keeps the given array as the storage when that is safe.
   */
  setValue(v: NDArray | number | readonly unknown[], opts?: { borrow?: boolean }): void {
    assignSharedValue(this, v, opts?.borrow === true);
  }
}

/** Installed by lib/shared.ts, which owns the conversion rules and the ordering with calls. */
export let assignSharedValue: (s: SharedVariable, v: unknown, borrow: boolean) => void = () => {
  throw new Error('theanode is not initialised');
};
export let borrowSharedValue: (s: SharedVariable) => NDArray = (s) => s.container.value;
export function setSharedAssignment(f: (s: SharedVariable, v: unknown, borrow: boolean) => void, borrow?: (s: SharedVariable) => NDArray): void {
  assignSharedValue = f;
  if (borrow) borrowSharedValue = borrow;
}

export function isConstant(v: Variable): v is Constant {
  return v instanceof Constant;
}
export function isShared(v: Variable): v is SharedVariable {
  return v instanceof SharedVariable;
}
