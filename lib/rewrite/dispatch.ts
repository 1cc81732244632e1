/** Which rewrites to try on a node: read from what each rewrite tracks, cached per kind of node. */
import type { Apply } from '../graph/variable.js';
import { LocalRewrite, scalarName } from './pattern.js';

export class RewriteIndex {
  private readonly rewrites: readonly LocalRewrite[];
  /** Op constructor → scalar-op name ('' for none) → the rewrites to try, in priority order. */
  private readonly cache = new Map<unknown, Map<string, LocalRewrite[]>>();

  constructor(rewrites: readonly LocalRewrite[]) {
    this.rewrites = rewrites;
  }

  for(node: Apply): LocalRewrite[] {
    const op = node.op;
    const scalar = scalarName(op) ?? '';
    let byScalar = this.cache.get(op.constructor);
    if (!byScalar) this.cache.set(op.constructor, (byScalar = new Map()));
    let list = byScalar.get(scalar);
    if (!list) {
      list = this.rewrites.filter((r) => r.tracks === 'all' || r.tracks.some((t) => (typeof t === 'string' ? t === scalar && scalar !== '' : op instanceof t)));
      byScalar.set(scalar, list);
    }
    return list;
  }
}
