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

  constructor(value: NDArray, type: TensorType, name?: string) {
    super(type, null, 0, name);
    this.container = { value };
  }

  /** A copy of the current value. */
  getValue(): NDArray {
    return this.container.value.copy();
  }

  /** Replace the value; it must fit the variable's type (dtype castable, ndim and broadcastable axes). */
  setValue(v: NDArray | number | readonly unknown[]): void {
    this.container.value = coerceSharedValue(this, v);
  }
}

/** Installed by lib/shared.ts so that setValue uses the same conversion rules as shared(). */
export let coerceSharedValue: (s: SharedVariable, v: unknown) => NDArray = () => {
  throw new Error('theanode is not initialised');
};
export function setSharedCoercion(f: (s: SharedVariable, v: unknown) => NDArray): void {
  coerceSharedValue = f;
}

export function isConstant(v: Variable): v is Constant {
  return v instanceof Constant;
}
export function isShared(v: Variable): v is SharedVariable {
  return v instanceof SharedVariable;
}
