/** Default updates: which shared variables a function updates without being told. */
import { describe, expect, it } from 'vitest';
import { T, fn, shared } from '../../lib/index.js';
import { defaultUpdates } from '../../lib/compile/default_updates.js';

describe('default updates', () => {
  it('are collected from what the graph reads, through other default updates, except explicit ones and givens keys', () => {
    const a = shared(1, 'a');
    const b = shared(10, 'b');
    const c = shared(100, 'c');
    a.defaultUpdate = a.add(b);
    b.defaultUpdate = b.add(1);
    c.defaultUpdate = c.add(1);
    const x = T.scalar('x');
    const names = (pairs: ReturnType<typeof defaultUpdates>) => pairs.map(([s]) => s.name).sort();
    // b is read only by a's default update.
    expect(names(defaultUpdates([x.mul(a)], []))).toEqual(['a', 'b']);
    expect(names(defaultUpdates([x.mul(a)], [a]))).toEqual([]);
    expect(names(defaultUpdates([x.mul(a)], [b]))).toEqual(['a']);
    expect(names(defaultUpdates([x.mul(c)], [], new Set([c])))).toEqual([]);
    expect(defaultUpdates([x], [])).toEqual([]);
  });

  it('fn applies them after each call, unless noDefaultUpdates or an explicit update', () => {
    const s = shared(0, 's');
    s.defaultUpdate = s.add(1);
    const f = fn([], s.mul(2), { backend: 'js' });
    expect([f().item(), f().item(), s.getValue().item()]).toEqual([0, 2, 2]);
    const g = fn([], s.mul(2), { backend: 'js', noDefaultUpdates: true });
    expect([g().item(), g().item(), s.getValue().item()]).toEqual([4, 4, 2]);
    const h = fn([], s.mul(2), { backend: 'js', updates: [[s, s.sub(5)]] });
    h();
    expect(s.getValue().item()).toBe(-3);
    // Read through a givens replacement.
    const y = T.scalar('y');
    const k = fn([], y.add(0), { backend: 'js', givens: [[y, s]] });
    k();
    expect(s.getValue().item()).toBe(-2);
  });
});
