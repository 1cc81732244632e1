/**
 * The rewrite driver: local rewrites applied to a fixed point with a worklist, as PyTensor's
 * equilibrium rewriter does with its change tracker. Every node is visited once; afterwards a
 * node is visited again only when something around it changed: it is new, one of its inputs
 * was replaced, or a variable it reads lost readers. Each visit tries only the rewrites that
 * track the node's op (see RewriteIndex), after the merge table (equal subexpressions).
 */
import type { Apply, Variable } from '../graph/variable.js';
import { Constant } from '../graph/variable.js';
import type { FunctionGraph, GraphListener } from '../graph/fgraph.js';
import type { LocalRewrite } from './pattern.js';
import { RewriteIndex } from './dispatch.js';
import { MergeTable } from './merge.js';

/**
 * How far below a change a rewrite may look: patterns read up to three levels of inputs (log of
 * an index of a softmax; an index whose rows are arange(shape_i(softmax(z)))), and compare the
 * inputs of the nodes they reach (exp(z) / sum(exp(z)) asks whether both exps read the same z,
 * four levels up). So a change can enable a match at nodes up to four readers away. On the
 * deep MLPs of bench/compile.ts this adds no visits to three levels, only cheap queue checks.
 */
const REACH = 4;

/** Rewrites applied per node of the graph before the driver gives up on reaching a fixed point. */
const MAX_REWRITES_PER_NODE = 50;

export interface FixedPointOptions {
  /** Also merge equal subexpressions and equal constants. */
  merge?: boolean;
  /** Told the name of every rewrite that applies ('merge' for a merged node), for tests and debugging. */
  trace?: (rewrite: string, node: Apply) => void;
}

/** Apply `rewrites` (and merging) until none applies. Returns whether the graph changed. */
export function rewriteToFixedPoint(fg: FunctionGraph, rewrites: readonly LocalRewrite[], opts: FixedPointOptions = {}): boolean {
  const index = new RewriteIndex(rewrites);
  const queue: Apply[] = [];
  let head = 0;
  const queued = new Set<Apply>();
  const merge = opts.merge ? new MergeTable(fg) : null;
  // Without merging, a node that no rewrite tracks needs no visit.
  const push = (node: Apply) => {
    if (!queued.has(node) && fg.has(node) && (merge || index.for(node).length > 0)) {
      queued.add(node);
      queue.push(node);
    }
  };
  /** node and its readers, down to `depth` levels. */
  const pushNear = (node: Apply, depth: number) => {
    push(node);
    if (depth === 0) return;
    for (const o of node.outputs) for (const r of fg.eachReader(o)) pushNear(r, depth - 1);
  };
  const listener: GraphListener = {
    onImport: push,
    onChangeInput: (node) => pushNear(node, REACH - 1),
    onPrune: (node) => {
      // A variable down to one reader may now match rewrites that need a sole reader.
      for (const v of node.inputs) {
        const sole = v instanceof Constant ? null : fg.soleReader(v);
        if (sole) pushNear(sole, REACH - 1);
      }
    },
  };
  fg.addListener(listener);
  let changed = false;
  try {
    for (const node of fg.nodes) push(node);
    let budget = MAX_REWRITES_PER_NODE * (fg.size + 16);
    while (head < queue.length && budget > 0) {
      const node = queue[head++];
      queued.delete(node);
      if (head > 4096 && head * 2 > queue.length) {
        queue.splice(0, head);
        head = 0;
      }
      if (!fg.has(node)) continue;
      const merged = merge ? merge.visit(node) : 'none';
      if (merged !== 'none') {
        opts.trace?.('merge', node);
        changed = true;
        budget--;
      }
      if (!fg.has(node)) continue;
      for (const rw of index.for(node)) {
        const out = rw(node, fg);
        if (!out) continue;
        opts.trace?.(rw.rewriteName, node);
        fg.replaceAll(node.outputs.map((o, i) => [o, out[i]] as [Variable, Variable]));
        changed = true;
        budget--;
        break;
      }
    }
  } finally {
    fg.removeListener(listener);
    merge?.detach();
  }
  return changed;
}
