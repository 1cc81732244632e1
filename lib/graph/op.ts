/**
 * Op: one operation of the graph. An op builds its Apply node (type inference), says how its
 * gradient is computed (as more graph), and lowers itself to a Program instruction whose
 * opcode names a kernel that both backends implement (see lib/compile/program.ts).
 */
import type { Apply, Variable } from './variable.js';
import type { Attrs } from '../compile/program.js';

/** An operation of the graph: its type rule (`makeNode`), gradient, kernel and the opcode it lowers to. */
export abstract class Op {
  abstract readonly name: string;

  /** Two ops with equal keys compute the same function of their inputs (used by merge). */
  key(): string {
    return this.name;
  }

  private memoKey: string | undefined;

  /** key(), made once: an op does not change after it is made (fused ops' keys are long texts). */
  get cachedKey(): string {
    return (this.memoKey ??= this.key());
  }

  /** Check the inputs' types and build the Apply node with typed outputs. */
  abstract makeNode(...inputs: Variable[]): Apply;

  /**
   * Gradients of a scalar cost with respect to each input, given the gradients with respect to
   * each output (null where the output does not reach the cost). Returns null for an input that
   * has no gradient (integer inputs, indices) — it is treated as disconnected.
   */
  grad(_node: Apply, _outputGrads: (Variable | null)[]): (Variable | null)[] {
    throw new Error(`grad: ${this.name} is not differentiable`);
  }

  /** The Program instruction for this node: an opcode and its attributes. */
  abstract lower(node: Apply): { opcode: string; attrs: Attrs };

  /** The outputs of the op's inner graph (a scan's step), printed by debugprint; null for most ops. */
  innerGraph(): readonly Variable[] | null {
    return null;
  }

  /** A short label for debugprint. */
  label(): string {
    return this.name;
  }
}
