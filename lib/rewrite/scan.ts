/** Rewrites of loops (Scan nodes). */
import type { Apply, Variable } from '../graph/variable.js';
import { Index } from '../ops/index.js';
import type { FunctionGraph } from '../graph/fgraph.js';
import { ScanOp } from '../scan/op.js';

const sameInputs = (a: Apply, b: Apply) => a.inputs.length === b.inputs.length && a.inputs.every((v, i) => v === b.inputs[i]);

/**
 * A loop and the copy of it that its gradient extended with saved values (lib/scan/grad.ts) run
 * the same steps on the same inputs: the extended one stands in for both, so the forward steps
 * run once. A pass over the graph rather than a local rewrite: the pair meets only once merging
 * has made their inputs the same variables, and it is the other node that is replaced. Returns
 * whether it changed the graph.
 */
export function mergeSavedScans(fg: FunctionGraph, trace?: (rewrite: string, node: Apply) => void): boolean {
  let changed = false;
  for (const node of fg.nodes.filter((n) => n.op instanceof ScanOp && n.op.base)) {
    const base = (node.op as ScanOp).base;
    const twin = fg.readers(node.inputs[0]).find((o) => o !== node && o.op === base && sameInputs(o, node));
    if (!twin) continue;
    trace?.('scan_merge_saved', twin);
    twin.outputs.forEach((o, i) => fg.replace(o, node.outputs[i]));
    changed = true;
  }
  return changed;
}

const readsLastRow = (r: Apply, v: Variable) => r.op instanceof Index && r.inputs[0] === v && !r.inputs.slice(1).includes(v) && r.op.spec[0]?.k === 'int' && r.op.spec[0].v === -1;

/** Whether v is only ever read as v[-1, ...] (its last row), and is not a result of the function. */
function onlyLastRowRead(fg: FunctionGraph, v: Variable): boolean {
  if (fg.isOutput(v)) return false;
  const readers = fg.readers(v);
  return readers.length > 0 && readers.every((r) => readsLastRow(r, v));
}

/**
 * The user sees a state's rows after its initial ones (full[lag:]); its last row read from
 * there, full[lag:][-1], is read as full[-1], so that the pass below can see it.
 */
function lastRowsReadDirectly(fg: FunctionGraph, full: Variable): boolean {
  let changed = false;
  for (const r of fg.readers(full)) {
    const s = r.op instanceof Index ? r.op.spec[0] : undefined;
    const tail = r.outputs[0];
    if (!s || s.k !== 'slice' || typeof s.start !== 'number' || s.start < 0 || s.stop !== null || s.step !== null || r.inputs[0] !== full || r.inputs.length !== 1) continue;
    if (!onlyLastRowRead(fg, tail)) continue;
    for (const q of fg.readers(tail)) fg.replace(q.outputs[0], new Index((q.op as Index).spec).makeNode(full, ...q.inputs.slice(1)).outputs[0]);
    changed = true;
  }
  return changed;
}

/**
 * Loops whose outputs are read only at their last row (a state after the last step, a running
 * sum of gradients, a random stream's state) keep just those rows: memory of one step, not of
 * all of them. After the gradient is built (such a loop has none), when compiling.
 */
export function keepLastRows(fg: FunctionGraph, trace?: (rewrite: string, node: Apply) => void): boolean {
  let changed = false;
  for (const node of fg.nodes.filter((n) => n.op instanceof ScanOp)) {
    const op = node.op as ScanOp;
    // The last of the steps' rows: with no steps, reading it stays an error (lib/ops/loop.ts).
    const ofSteps = node.outputs.map((o, i) => lastRowsReadDirectly(fg, o) || (op.layout.lastOfSteps?.[i] ?? false));
    const keep = node.outputs.map((o, i) => (op.layout.keepLast?.[i] ?? false) || onlyLastRowRead(fg, o));
    if (keep.every((k, i) => k === (op.layout.keepLast?.[i] ?? false))) continue;
    trace?.('scan_keep_last', node);
    const copy = op.keepingLast(keep, ofSteps).makeNode(node.inputs[0], ...node.inputs.slice(1));
    node.outputs.forEach((o, i) => fg.replace(o, copy.outputs[i]));
    changed = true;
  }
  return changed;
}
