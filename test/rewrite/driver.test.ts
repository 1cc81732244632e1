/**
 * The rewrite driver: a rewrite is tried only on the nodes it tracks, each node once when nothing
 * changes, and again when something within a rewrite's reach changed, also in a later wave of
 * changes. The rewrites here are toys made for the test (they do not keep values); what is
 * checked is which nodes the driver offers them.
 */
import { describe, expect, it } from 'vitest';
import * as T from '../../lib/tensor/index.js';
import { FunctionGraph } from '../../lib/graph/fgraph.js';
import type { Apply, Variable } from '../../lib/graph/variable.js';
import { applyElemwise as ew } from '../../lib/ops/elemwise.js';
import { Dot } from '../../lib/ops/dot.js';
import { named, elem } from '../../lib/rewrite/pattern.js';
import { rewriteToFixedPoint } from '../../lib/rewrite/driver.js';

const names = (fg: FunctionGraph) => fg.nodes.map((n) => n.op.label());

describe('rewrite driver', () => {
  it('offers a rewrite only the nodes it tracks, each once when nothing changes', () => {
    const a = T.matrix('a'), b = T.matrix('b');
    const out = T.exp(T.tanh(T.dot(a, b))).add(T.exp(a));
    const fg = new FunctionGraph([a, b], [out]);
    const seen: Record<string, string[]> = { exp: [], dot: [], all: [] };
    const record = (key: string) => (node: Apply) => {
      seen[key].push(node.op.label());
      return null;
    };
    rewriteToFixedPoint(fg, [named('exp_only', ['exp'], record('exp')), named('dot_only', [Dot], record('dot')), named('every', 'all', record('all'))]);
    expect(seen.exp).toEqual(['exp', 'exp']);
    expect(seen.dot).toEqual(['dot']);
    expect(seen.all.sort()).toEqual(['add', 'dot', 'exp', 'exp', 'tanh']);
  });

  // Two toy rewrites make a change in two waves: neg(t) → abs(t) (a new node, visited after
  // everything that was there), then abs(t) → sqr(t). A third rewrite matches a chain ending
  // in that sqr, at a node visited before the second wave: it must be offered that node again.
  for (const chain of [['exp', 'tanh'], ['exp', 'tanh', 'softplus']]) {
    it(`revisits a node when a change ${chain.length + 1} levels up comes in a later wave`, () => {
      const t = T.vector('t');
      let v = ew('neg', [t]);
      for (const name of [...chain].reverse()) v = ew(name, [v]);
      const fg = new FunctionGraph([t], [T.log(v)]);
      const negToAbs = named('neg_to_abs', ['neg'], (node) => [ew('abs', [node.inputs[0]])]);
      const absToSqr = named('abs_to_sqr', ['abs'], (node) => [ew('sqr', [node.inputs[0]])]);
      const deep = named('log_of_chain_of_sqr', ['log'], (node) => {
        let u: Variable | undefined = node.inputs[0];
        for (const name of chain) u = u && elem(u, name)?.[0];
        const sq = u && elem(u, 'sqr');
        return sq ? [ew('sqrt', [sq[0]])] : null;
      });
      const fired: string[] = [];
      rewriteToFixedPoint(fg, [negToAbs, absToSqr, deep], { trace: (name) => fired.push(name) });
      expect(fired).toEqual(['neg_to_abs', 'abs_to_sqr', 'log_of_chain_of_sqr']);
      expect(names(fg)).toEqual(['sqrt']);
    });
  }

  it('revisits the reader of a variable that is left with one reader', () => {
    const x = T.vector('x');
    const e = T.exp(x);
    // `soleExp` rewrites tanh(exp(x)) only when the exp has no other reader; the other reader,
    // neg(exp(x)) * 0 → 0, goes away only when the mul is rewritten, after tanh was visited.
    const out = T.add(T.tanh(e), T.mul(T.neg(e), 0));
    const fg = new FunctionGraph([x], [out]);
    const timesZero = named('times_zero', ['mul'], (node) => (node.inputs[1].owner === null && node.inputs[0].owner ? [ew('second', [node.inputs[0], node.inputs[1]])] : null));
    const dropFill = named('drop_fill', ['second'], (node) => [ew('second', [x, node.inputs[1]])]);
    const soleExp = named('sole_exp', ['tanh'], (node, g) => {
      const u = node.inputs[0];
      return elem(u, 'exp') && g.clientCount(u) === 1 ? [ew('sigmoid', [elem(u, 'exp')![0]])] : null;
    });
    const fired: string[] = [];
    rewriteToFixedPoint(fg, [timesZero, dropFill, soleExp], { trace: (name) => fired.push(name) });
    expect(fired).toContain('sole_exp');
    expect(names(fg)).not.toContain('tanh');
  });

  it('stops a rewrite that never reaches a fixed point', () => {
    const x = T.vector('x');
    const fg = new FunctionGraph([x], [T.exp(x)]);
    let calls = 0;
    const forever = named('forever', ['exp'], (node) => {
      calls++;
      return [ew('exp', [node.inputs[0]])];
    });
    rewriteToFixedPoint(fg, [forever]);
    expect(calls).toBeGreaterThan(10);
    expect(names(fg)).toEqual(['exp']);
  });
});
