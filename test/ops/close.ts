/** Comparison of a result with fixture data, shared by the conv and pool tests. */
import { expect } from 'vitest';
import type { NDArray } from 'theanode';

export type Arr = { shape: number[]; data: number[] };

/** One assertion per array: the first element off by more than rtol · (|expected| + the array's largest magnitude). */
export function expectClose(actual: NDArray, expected: Arr, label: string, rtol: number) {
  expect(actual.shape, label).toEqual(expected.shape);
  let scale = 0;
  for (const v of expected.data) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < expected.data.length; i++) {
    const a = actual.data[i];
    const e = expected.data[i];
    if (!(Math.abs(a - e) <= rtol * (Math.abs(e) + scale) + 1e-300)) expect.fail(`${label}[${i}]: got ${a}, expected ${e}`);
  }
}

