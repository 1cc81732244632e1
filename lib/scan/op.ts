/**
 * The Scan op: a loop whose body is an inner graph. Its inputs are the number of steps, the
 * sequences, the initial rows of each recurrent output and the non-sequences; its outputs are
 * each recurrent output's whole buffer (initial rows, then one row per step) and each
 * non-recurrent output (one row per step).
 *
 * It lowers to one `loop` instruction whose body is itself a Program (lib/ops/loop.ts), made
 * once per compiled function: the inner graph gets the same rewrites as any function (fusion,
 * BLAS) and is planned once per shape signature of the loop.
 */
import { Op } from '../graph/op.js';
import { TensorType } from '../graph/type.js';
import { Apply, Constant, SharedVariable, Variable } from '../graph/variable.js';
import { toposort } from '../graph/toposort.js';
import { constantKey } from '../rewrite/merge.js';
import { FunctionGraph } from '../graph/fgraph.js';
import { rewriteGraph } from '../rewrite/index.js';
import { lower } from '../compile/lower.js';
import { fuseRowPasses } from '../compile/rowpass.js';
import { fuseColumnSums } from '../compile/colsum.js';
import { programToAttrs } from '../compile/program_json.js';
import type { Attrs } from '../compile/program.js';
import { scanGrad } from './grad.js';

/** How the Scan node's inputs and the body's inputs and outputs are laid out. */
export interface ScanLayout {
  /** Per sequence, its taps (sorted). */
  seqTaps: number[][];
  /** Per recurrent output, its taps (negative, sorted). */
  recTaps: number[][];
  /** Outputs that are not fed back. */
  nNitsot: number;
  nNonseq: number;
  /** Backpropagate through at most this many steps; -1: all. */
  truncateGradient: number;
  name: string;
  /**
   * Per output, whether only its last rows are read (set when compiling): the loop then keeps
   * a state's last `lag` rows, or a per-step output's last row, instead of every step's.
   */
  keepLast?: boolean[];
  /** Per output kept so, whether what is read is the last of the steps' rows (none with 0 steps). */
  lastOfSteps?: boolean[];
  /** Steps read the sequences and write the per-step outputs from the last row to the first (a gradient's loop). */
  reverse?: boolean;
}

export class ScanOp extends Op {
  readonly name = 'Scan';
  /** Shared variables this loop advances and their values after it (what scan() returned as updates). */
  readonly sharedUpdates = new Map<SharedVariable, Variable>();
  private body: Attrs | undefined;

  /**
   * `base`: the loop this one extends with outputs its gradient saves (same inputs, the same
   * first outputs): where both are in a graph, this one replaces it.
   */
  constructor(readonly layout: ScanLayout, readonly innerInputs: Variable[], readonly innerOutputs: Variable[], readonly base?: ScanOp) {
    super();
  }

  /**
   * The layout and the inner graph's structure: loops built twice alike (the gradient taken in
   * two calls of grad) are one computation, which merging then runs once.
   */
  override key(): string {
    const ids = new Map<Variable, string>();
    this.innerInputs.forEach((v, i) => ids.set(v, `i${i}:${v.dtype}[${v.broadcastable.map(Number).join('')}]`));
    const idOf = (v: Variable) => ids.get(v) ?? (v instanceof Constant ? `c(${constantKey(v) ?? `#${v.id}`})` : `free#${v.id}`);
    const lines: string[] = [];
    for (const node of toposort(this.innerOutputs, new Set(this.innerInputs))) {
      const k = lines.length;
      lines.push(`${node.op.cachedKey}(${node.inputs.map(idOf).join(',')})`);
      node.outputs.forEach((o, j) => ids.set(o, `n${k}.${j}`));
    }
    const { name: _name, ...layout } = this.layout;
    return `Scan${JSON.stringify(layout)}{${lines.join(';')}}->${this.innerOutputs.map(idOf).join(',')}`;
  }

  get nSeqTaps(): number {
    return this.layout.seqTaps.reduce((a, t) => a + t.length, 0);
  }
  get nRecTaps(): number {
    return this.layout.recTaps.reduce((a, t) => a + t.length, 0);
  }

  makeNode(n: Variable, ...rest: Variable[]): Apply {
    const { seqTaps, recTaps, nNitsot, nNonseq } = this.layout;
    const S = seqTaps.length;
    const R = recTaps.length;
    if (rest.length !== S + R + nNonseq) throw new Error(`Scan: expected ${S + R + nNonseq} inputs after the step count, got ${rest.length}`);
    if (n.ndim !== 0 || n.dtype !== 'int32') throw new TypeError(`Scan: the step count must be an int32 scalar, got ${n.type.describe()}`);
    if (this.innerOutputs.length !== R + nNitsot) throw new Error(`Scan: the body has ${this.innerOutputs.length} outputs, expected ${R + nNitsot}`);
    const inits = rest.slice(S, S + R);
    const types = [
      ...inits.map((v) => new TensorType(v.dtype, [false, ...v.broadcastable.slice(1)])),
      ...this.innerOutputs.slice(R).map((o) => new TensorType(o.dtype, [false, ...o.broadcastable])),
    ];
    return new Apply(this, [n, ...rest], types);
  }

  override grad(node: Apply, outputGrads: (Variable | null)[]): (Variable | null)[] {
    if (this.layout.keepLast) throw new Error(`scan '${this.layout.name}': a compiled loop that keeps only its last rows has no gradient`);
    return scanGrad(this, node, outputGrads);
  }

  /** The same loop keeping only the last rows of the outputs marked in `keepLast` (the body is shared). */
  keepingLast(keepLast: boolean[], lastOfSteps: boolean[]): ScanOp {
    const copy = new ScanOp({ ...this.layout, keepLast, lastOfSteps }, this.innerInputs, this.innerOutputs);
    copy.body = this.body;
    return copy;
  }

  lower(): { opcode: string; attrs: Attrs } {
    this.body ??= this.lowerBody();
    const { seqTaps, recTaps, nNitsot, nNonseq, name, keepLast, lastOfSteps, reverse } = this.layout;
    const none = Array<boolean>(recTaps.length + nNitsot).fill(false);
    return { opcode: 'loop', attrs: { body: this.body, seqTaps, recTaps, nNitsot, nNonseq, name, keepLast: keepLast ?? none, lastOfSteps: lastOfSteps ?? none, reverse: reverse === true } };
  }

  /** The body as a Program: rewritten like any function's graph, then lowered. */
  private lowerBody(): Attrs {
    const where = `scan '${this.layout.name}'`;
    const fg = new FunctionGraph(this.innerInputs, this.innerOutputs);
    rewriteGraph(fg, { fusion: true });
    const program = fuseColumnSums(fuseRowPasses(lower({ fg, inputs: this.innerInputs, nOutputs: this.innerOutputs.length, updated: [], where: `${where} step` })));
    fg.release();
    const firstNonseq = this.nSeqTaps + this.nRecTaps;
    const perStep = program.valueInputs.filter((i) => i < firstNonseq);
    if (perStep.length) {
      const names = perStep.map((i) => this.innerInputs[i].toString()).join(', ');
      throw new Error(`${where}: shapes inside the step depend on the values of ${names}, which change from step to step; scan needs the same shapes at every step`);
    }
    return programToAttrs(program);
  }

  override innerGraph(): readonly Variable[] {
    return this.innerOutputs;
  }

  override label(): string {
    return `Scan{${this.layout.name}}`;
  }
}
