/**
 * Default updates (Theano's `default_update`): a shared variable that carries one, such as a
 * random stream's state, is updated by it after every call of a function that reads it, so each
 * call draws afresh without the user listing the update.
 */
import { SharedVariable, Variable } from '../graph/variable.js';
import { ScanOp } from '../scan/op.js';

/**
 * The [shared, defaultUpdate] pairs to add to a function that computes `roots`: every shared
 * variable those expressions read (following the default updates themselves, which may read
 * further shared variables) that has a default update and is not in `explicit`. Variables in
 * `replaced` (givens keys) are not followed: the graph reads their replacements instead. A
 * variable that a loop advances (a random stream drawn inside a scan's step) takes the loop's
 * value after its last step, the update scan() returned, when the caller did not pass it.
 */
export function defaultUpdates(roots: readonly Variable[], explicit: Iterable<SharedVariable>, replaced: ReadonlySet<Variable> = new Set()): [SharedVariable, Variable][] {
  const skip = new Set<SharedVariable>(explicit);
  const seen = new Set<Variable>();
  const pairs: [SharedVariable, Variable][] = [];
  const byLoop = new Map<SharedVariable, Variable>();
  const stack = [...roots];
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v) || replaced.has(v)) continue;
    seen.add(v);
    if (v instanceof SharedVariable) {
      const update = byLoop.get(v) ?? v.defaultUpdate;
      if (update && !skip.has(v)) {
        skip.add(v);
        pairs.push([v, update]);
        stack.push(update);
      }
    } else if (v.owner) {
      if (v.owner.op instanceof ScanOp) for (const [s, e] of v.owner.op.sharedUpdates) byLoop.set(s, e);
      stack.push(...v.owner.inputs);
    }
  }
  return pairs;
}
