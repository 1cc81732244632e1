/**
 * FunctionGraph: a graph between chosen inputs and outputs that rewrites may edit. It owns a
 * private copy of every Apply node it contains, so editing it never changes the caller's graph.
 *
 * As in PyTensor's FunctionGraph, the readers ("clients") of every variable and a valid
 * topological order are kept up to date by each change: `replace` costs the size of the change
 * (the readers it rewires, the nodes it imports or prunes, the nodes the order must move), not
 * the size of the graph. Listeners hear of every imported node, pruned node and changed input,
 * which is how the rewrite driver knows what to look at again.
 */
import { Apply, Variable } from './variable.js';
import { toposort } from './toposort.js';
import { cloneGraph, cloneWithGivens } from './clone.js';
import { NodeOrder } from './order.js';
import { ReaderSet } from './readers.js';

export { toposort } from './toposort.js';
export { cloneGraph, cloneWithGivens } from './clone.js';

export interface GraphListener {
  onImport?(node: Apply): void;
  onPrune?(node: Apply): void;
  /** `node` read `old` at input `i` and now reads `now`. */
  onChangeInput?(node: Apply, i: number, old: Variable, now: Variable): void;
}

/** The graph a compiled function is made from: a copy of the user's graph from inputs to outputs, which rewrites change in place. */
export class FunctionGraph {
  readonly inputs: readonly Variable[];
  /** The current outputs (replace edits them); read-only for everyone else. */
  readonly outputs: readonly Variable[];
  private readonly outs: Variable[];
  private readonly outputAt = new Map<Variable, number[]>();
  private readonly order = new NodeOrder();
  /**
   * For each variable, the nodes that read it and at how many input positions: kept on the
   * variable itself when it is computed in this graph (a field read, not a lookup in a table
   * as large as the graph), in this map for free variables, which several graphs may share.
   */
  private readonly freeReaders = new Map<Variable, ReaderSet>();
  private readonly listeners = new Set<GraphListener>();
  private cachedNodes: Apply[] | null = null;

  /**
   * The graph of `outputs` over `inputs` (free variables), copied; `givens` maps variables to
   * the expressions that replace them (copied too).
   */
  constructor(inputs: readonly Variable[], outputs: readonly Variable[], givens: ReadonlyMap<Variable, Variable> = new Map()) {
    inputs.forEach((v, i) => {
      if (v.owner) throw new Error(`FunctionGraph: input ${i} (${v}) is computed by ${v.owner.op.name}; inputs must be free variables`);
    });
    this.inputs = [...inputs];
    const leaves = new Set(inputs);
    let nodes: Apply[];
    if (givens.size === 0) ({ outputs: this.outs, nodes } = cloneGraph(outputs, leaves));
    else nodes = toposort((this.outs = cloneWithGivens(outputs, leaves, givens)));
    this.outputs = this.outs;
    this.outs.forEach((v, i) => this.addOutputPosition(v, i));
    for (const node of nodes) {
      this.order.append(node);
      for (const v of node.inputs) this.addReader(v, node);
    }
  }

  /** The nodes in a valid topological order (inputs before readers). */
  get nodes(): Apply[] {
    return (this.cachedNodes ??= this.order.toArray());
  }

  get size(): number {
    return this.order.size;
  }

  has(node: Apply): boolean {
    return this.order.has(node);
  }

  /** Whether node a comes before node b in the current order. */
  before(a: Apply, b: Apply): boolean {
    return this.order.label(a) < this.order.label(b);
  }

  /** The distinct nodes that read v. */
  readers(v: Variable): Apply[] {
    const m = this.readerSet(v);
    return m ? [...m.nodes()] : [];
  }

  /** The distinct nodes that read v, without making an array. */
  eachReader(v: Variable): Iterable<Apply> {
    return this.readerSet(v)?.nodes() ?? [];
  }

  /** How many input positions read v (a node reading it twice counts twice). */
  clientCount(v: Variable): number {
    return this.readerSet(v)?.count ?? 0;
  }

  /** The only reader of v, or null when v has none or several (counting input positions). */
  soleReader(v: Variable): Apply | null {
    const m = this.readerSet(v);
    return m && m.count === 1 ? m.first() : null;
  }

  /** Each (node, input position) that reads v. */
  clients(v: Variable): [Apply, number][] {
    const out: [Apply, number][] = [];
    for (const node of this.readers(v)) node.inputs.forEach((u, i) => u === v && out.push([node, i]));
    return out;
  }

  /** Whether `v` is one of the graph's outputs. */
  isOutput(v: Variable): boolean {
    return this.outputAt.has(v);
  }

  /** Whether `v` is a leaf: an input, a constant or a shared variable. */
  isLeaf(v: Variable): boolean {
    return !v.owner;
  }

  addListener(l: GraphListener): void {
    this.listeners.add(l);
  }

  removeListener(l: GraphListener): void {
    this.listeners.delete(l);
  }

  /** Make every reader of `old` (and the outputs) read `now` instead. */
  replace(old: Variable, now: Variable): void {
    if (old === now) return;
    if (old.type.dtype !== now.type.dtype || old.ndim !== now.ndim) {
      throw new Error(`rewrite replaced ${old.type.describe()} with ${now.type.describe()}`);
    }
    // Readers of old before `now` is imported: a replacement may itself read old.
    const readers = this.readers(old);
    this.importVariable(now);
    for (const node of readers) {
      node.inputs.forEach((v, i) => {
        if (v !== old) return;
        node.inputs[i] = now;
        this.removeReader(old, node);
        this.addReader(now, node);
        for (const l of this.listeners) l.onChangeInput?.(node, i, old, now);
      });
      if (now.owner) this.keepBefore(now.owner, node);
    }
    const at = this.outputAt.get(old);
    if (at) {
      this.outputAt.delete(old);
      for (const i of at) {
        this.outs[i] = now;
        this.addOutputPosition(now, i);
      }
    }
    this.cachedNodes = null;
    if (old.owner) this.pruneIfUnused(old.owner);
  }

  /**
   * Drop the bookkeeping this graph keeps on its nodes and variables, for a graph whose nodes
   * live on after it (the stabilized cost that grad differentiates). The graph is unusable after.
   */
  release(): void {
    for (const node of this.nodes) {
      node.orderEntry = null;
      for (const o of node.outputs) o.readersEntry = null;
    }
    this.freeReaders.clear();
    this.cachedNodes = [];
  }

  /** Replace several variables, e.g. all outputs of a node. */
  replaceAll(pairs: readonly (readonly [Variable, Variable])[]): void {
    for (const [old, now] of pairs) this.replace(old, now);
  }

  private addOutputPosition(v: Variable, i: number): void {
    const at = this.outputAt.get(v);
    if (at) at.push(i);
    else this.outputAt.set(v, [i]);
  }

  private addReader(v: Variable, node: Apply): void {
    let m = this.readerSet(v);
    if (!m) {
      m = new ReaderSet(this);
      if (v.owner) v.readersEntry = m;
      else this.freeReaders.set(v, m);
    }
    m.add(node);
  }

  private removeReader(v: Variable, node: Apply): void {
    const m = this.readerSet(v)!;
    m.remove(node);
    if (m.empty) {
      if (v.owner) v.readersEntry = null;
      else this.freeReaders.delete(v);
    }
  }

  private unused(node: Apply): boolean {
    return node.outputs.every((o) => !this.readerSet(o) && !this.outputAt.has(o));
  }

  private readerSet(v: Variable): ReaderSet | undefined {
    if (!v.owner) return this.freeReaders.get(v);
    const e = v.readersEntry as ReaderSet | null;
    return e !== null && e.graph === this ? e : undefined;
  }

  /** Add the nodes of v's graph that are not in this graph yet, each right after its latest input. */
  private importVariable(v: Variable): void {
    if (!v.owner || this.order.has(v.owner)) return;
    const stack: [Apply, number][] = [[v.owner, 0]];
    const entered = new Set<Apply>([v.owner]);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const node = top[0];
      if (top[1] < node.inputs.length) {
        const owner = node.inputs[top[1]++].owner;
        if (owner && !this.order.has(owner)) {
          if (entered.has(owner)) throw new Error('rewrite made a cycle');
          entered.add(owner);
          stack.push([owner, 0]);
        }
        continue;
      }
      stack.pop();
      entered.delete(node);
      let anchor: Apply | null = null;
      for (const u of node.inputs) {
        if (u.owner && (anchor === null || this.order.label(u.owner) > this.order.label(anchor))) anchor = u.owner;
      }
      this.order.insertAfter(node, anchor);
      for (const u of node.inputs) this.addReader(u, node);
      for (const l of this.listeners) l.onImport?.(node);
    }
  }

  /**
   * Restore the order after `reader` started to read a result of `producer`: when the reader
   * came first, move it and everything after it that depends on it (up to the producer's
   * position) to right after the producer, keeping their relative order.
   */
  private keepBefore(producer: Apply, reader: Apply): void {
    const limit = this.order.label(producer);
    if (this.order.label(reader) > limit) return;
    const moved = new Set<Apply>([reader]);
    const stack = [reader];
    while (stack.length) {
      const n = stack.pop()!;
      for (const o of n.outputs) {
        const m = this.readerSet(o);
        if (!m) continue;
        for (const r of m.nodes()) {
          if (r === producer) throw new Error('rewrite made a cycle');
          if (!moved.has(r) && this.order.label(r) < limit) {
            moved.add(r);
            stack.push(r);
          }
        }
      }
    }
    const list = [...moved].sort((a, b) => this.order.label(a) - this.order.label(b));
    this.order.moveAfter(list, producer);
  }

  /** Remove `node`, and then the nodes that only it read from, once nothing reads their results. */
  private pruneIfUnused(node: Apply): void {
    if (!this.order.has(node) || !this.unused(node)) return;
    const stack = [node];
    const queued = new Set(stack);
    while (stack.length) {
      const n = stack.pop()!;
      this.order.remove(n);
      for (const v of n.inputs) {
        this.removeReader(v, n);
        const owner = v.owner;
        if (owner && !queued.has(owner) && this.order.has(owner) && this.unused(owner)) {
          queued.add(owner);
          stack.push(owner);
        }
      }
      for (const l of this.listeners) l.onPrune?.(n);
    }
  }
}
