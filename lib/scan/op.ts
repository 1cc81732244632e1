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
import { Apply, SharedVariable, Variable } from '../graph/variable.js';
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
  /** Outputs that are not fed back (the last `nSaved` of them are kept products, see below). */
  nNitsot: number;
  /**
   * Products computed in the step (dots of per-step values), kept per step as the last
   * non-recurrent outputs so that the gradient reads them instead of computing them again.
   */
  nSaved: number;
  /** Steps run from the last row of the sequences to the first, non-recurrent outputs written likewise (a gradient's loop). */
  reverse: boolean;
  nNonseq: number;
  /** Backpropagate through at most this many steps; -1: all. */
  truncateGradient: number;
  name: string;
}

let uid = 0;

export class ScanOp extends Op {
  readonly name = 'Scan';
  private readonly uid = ++uid;
  /** Shared variables this loop advances and their values after it (what scan() returned as updates). */
  readonly sharedUpdates = new Map<SharedVariable, Variable>();
  private body: Attrs | undefined;

  constructor(readonly layout: ScanLayout, readonly innerInputs: Variable[], readonly innerOutputs: Variable[]) {
    super();
  }

  /** Two loops are the same computation only when they are the same loop. */
  override key(): string {
    return `Scan#${this.uid}`;
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
    return scanGrad(this, node, outputGrads);
  }

  lower(): { opcode: string; attrs: Attrs } {
    this.body ??= this.lowerBody();
    const { seqTaps, recTaps, nNitsot, nNonseq, reverse, name } = this.layout;
    return { opcode: 'loop', attrs: { body: this.body, seqTaps, recTaps, nNitsot, nNonseq, reverse, name } };
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

  override label(): string {
    return `Scan{${this.layout.name}}`;
  }
}
