/** Cases the fuzz tests found, kept as plain tests with hand-derived values. */
import { describe, expect, it } from 'vitest';
import { T, fn, NDArray } from '../../lib/index.js';
import { nativeStatus } from '../../lib/backend/native/index.js';

const backends = nativeStatus().available ? (['js', 'native'] as const) : (['js'] as const);

describe.each(backends)('fuzz regressions (%s)', (backend) => {
  it('c + dot(A, v) with a one-row A (a length-1, broadcastable result) compiles and is right', () => {
    const a = T.tensor('float64', [true, false], 'a');
    const v = T.vector('v');
    const c = T.tensor('float64', [true], 'c');
    const f = fn([a, v, c], T.add(T.dot(a, v), c), { backend });
    const out = f(new NDArray(new Float64Array([1, 2, 3]), [1, 3]), new Float64Array([4, 5, 6]), new Float64Array([0.5]));
    expect(Array.from(out.data)).toEqual([32.5]);
  });
});
