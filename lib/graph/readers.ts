/**
 * The readers of one variable: nodes and how many of their input positions read it. Most
 * variables have one reader, so that case is two fields; a map is made only for more.
 */
import type { Apply } from './variable.js';

export class ReaderSet {
  /** The graph whose bookkeeping this is (a computed variable keeps its set on itself). */
  readonly graph: object;
  private one: Apply | null = null;
  private oneCount = 0;
  private many: Map<Apply, number> | null = null;

  constructor(graph: object) {
    this.graph = graph;
  }

  get empty(): boolean {
    return this.many === null ? this.one === null : this.many.size === 0;
  }

  /** Input positions that read the variable (a node reading it twice counts twice). */
  get count(): number {
    if (this.many === null) return this.oneCount;
    let n = 0;
    for (const c of this.many.values()) n += c;
    return n;
  }

  /** The distinct reading nodes. */
  nodes(): Iterable<Apply> {
    return this.many !== null ? this.many.keys() : this.one !== null ? [this.one] : [];
  }

  first(): Apply | null {
    if (this.many === null) return this.one;
    for (const n of this.many.keys()) return n;
    return null;
  }

  add(node: Apply): void {
    if (this.many !== null) this.many.set(node, (this.many.get(node) ?? 0) + 1);
    else if (this.one === null || this.one === node) {
      this.one = node;
      this.oneCount++;
    } else {
      this.many = new Map([[this.one, this.oneCount], [node, 1]]);
      this.one = null;
      this.oneCount = 0;
    }
  }

  remove(node: Apply): void {
    if (this.many === null) {
      if (this.one !== node) throw new Error('not a reader');
      if (--this.oneCount === 0) this.one = null;
      return;
    }
    const c = this.many.get(node);
    if (c === undefined) throw new Error('not a reader');
    if (c > 1) this.many.set(node, c - 1);
    else this.many.delete(node);
  }
}
