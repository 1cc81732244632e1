/** The nodes of an expression graph: Variables and the Apply nodes that produce them. */
import { NDArray } from '../ndarray/ndarray.js';
import { TensorType } from './type.js';
import type { Op } from './op.js';

let nextId = 1;

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

/** A symbolic tensor. Fluent methods (x.add(y), x.T, ...) are attached in lib/tensor/fluent.ts. */
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

  toString(): string {
    if (this.name) return this.name;
    if (this.owner) return `${this.owner.op.name}.${this.index}`;
    return `<${this.type.describe()}>`;
  }
}

export class Constant extends Variable {
  readonly value: NDArray;
  constructor(value: NDArray, name?: string) {
    super(new TensorType(value.dtype, value.shape.map((d) => d === 1)), null, 0, name);
    this.value = value;
  }
  override toString(): string {
    if (this.name) return this.name;
    return this.value.size <= 4 ? `Constant{${this.value.toString().replace(/\s+/g, ' ')}}` : `Constant{${this.value.dtype}${JSON.stringify(this.value.shape)}}`;
  }
}

/** A variable whose value persists between calls of compiled functions. */
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

  /**
   * Replace the value; it must fit the variable's type (the casting rules of fn inputs, ndim,
   * broadcastable axes). Ordered with async calls in flight that use the variable (lib/shared.ts).
   */
  setValue(v: NDArray | number | readonly unknown[]): void {
    assignSharedValue(this, v);
  }
}

/** Installed by lib/shared.ts, which owns the conversion rules and the ordering with calls. */
export let assignSharedValue: (s: SharedVariable, v: unknown) => void = () => {
  throw new Error('theanode is not initialised');
};
export function setSharedAssignment(f: (s: SharedVariable, v: unknown) => void): void {
  assignSharedValue = f;
}

export function isConstant(v: Variable): v is Constant {
  return v instanceof Constant;
}
export function isShared(v: Variable): v is SharedVariable {
  return v instanceof SharedVariable;
}
