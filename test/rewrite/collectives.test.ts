/**
 * merge_allreduce: every independent allreduce of a function becomes one instruction (one
 * message) per dtype; dependent ones stay apart (merging them would make a cycle); gradients of
 * allreduce are allreduces of the output gradient.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { T, fn, grad, shared, array } from 'theanode';
import { AllReduce } from '../../lib/ops/allreduce.js';
import { loopback } from '../distributed/loopback.js';

const world = loopback();
afterAll(() => world.finalize());

const count = (f: { program: { instructions: { opcode: string }[] } }) => f.program.instructions.filter((i) => i.opcode === 'allreduce').length;

describe('merge_allreduce', () => {
  it('a training step of four parameters sends one message, with the same values', () => {
    const x = T.matrix('x');
    const ps = [shared(array([[0.5, -1], [2, 0.25]]), 'W'), shared(array([0.1, 0.2]), 'b'), shared(array([[1.5], [-0.5]]), 'V'), shared(array([0.3]), 'c')];
    const [W, b, V, c] = ps;
    const cost = T.sum(T.tanh(x.dot(W).add(b)).dot(V).add(c));
    const gs = grad(cost, ps);
    const reduced = gs.map((g) => T.distributed.allreduce(g, 'mean'));
    const f = fn([x], reduced, { backend: 'js' });
    const plain = fn([x], gs, { backend: 'js' });
    expect(count(f)).toBe(1);
    const xv = array([[1, 2], [3, -4]]);
    const got = f(xv) as { data: ArrayLike<number> }[], want = plain(xv) as { data: ArrayLike<number> }[];
    got.forEach((g, i) => expect(Array.from(g.data)).toEqual(Array.from(want[i].data)));
  });

  it('dtypes travel apart, and a reduction of a reduced value stays a second instruction', () => {
    const x = T.vector('x'), y = T.fvector('y');
    const a = T.distributed.allreduce(x.mul(2)), b = T.distributed.allreduce(x.add(1)), c = T.distributed.allreduce(y.mul(3));
    const d = T.distributed.allreduce(T.exp(a));
    const f = fn([x, y], [a, b, c, d], { backend: 'js' });
    expect(count(f)).toBe(3);
    const [ra, rb, rc, rd] = f(array([0, 1]), array([1], { dtype: 'float32' })) as { data: ArrayLike<number> }[];
    expect([Array.from(ra.data), Array.from(rb.data), Array.from(rc.data), Array.from(rd.data)]).toEqual([[0, 2], [1, 2], [3], [1, Math.exp(2)]]);
  });

  it('the gradient of an allreduce is the same allreduce of the output gradient', () => {
    const x = T.vector('x');
    const [g] = grad(T.sum(T.distributed.allreduce(x, 'mean').mul(3)), [x]);
    expect(g.owner?.op).toBeInstanceOf(AllReduce);
    expect((g.owner!.op as AllReduce).ops).toEqual(['mean']);
    expect(Array.from((fn([x], g, { backend: 'js' })(array([5, 6])) as { data: ArrayLike<number> }).data)).toEqual([3, 3]);
  });
});
