// The draws compared between backends, thread counts and SIMD levels, built from whichever
// build of theanode is given (the sources under vitest, dist/ in a child process).

/** Inputs x (rows x cols, for its shape), lo and p (length cols), pv (rows x cols, rows sum to 1). */
export function drawCases({ T, random }, seed, dtype) {
  const srng = new random.RandomStreams(seed);
  const x = T.matrix('x', dtype);
  const lo = T.vector('lo', dtype);
  const p = T.vector('p', dtype);
  const pv = T.matrix('pv', dtype);
  const outputs = [
    srng.uniform(x.shape, -1, 2, dtype),
    srng.uniform(x.shape, lo, 5, dtype),
    srng.normal(x.shape, 0, 1, dtype),
    srng.normal(x.shape, lo, 0.5, dtype),
    srng.binomial(x.shape, 1, p, dtype),
    srng.binomial(x.shape, 3, 0.4),
    srng.multinomial(pv, { n: 4 }),
  ];
  return { inputs: [x, lo, p, pv], outputs, srng };
}

export function drawArgs(rows, cols) {
  const pv = Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => (r + c) % 3));
  for (const row of pv) {
    // Some zero probabilities; a row of zeros gets a one in its last column.
    if (row.every((v) => v === 0)) row[row.length - 1] = 1;
    const s = row.reduce((a, b) => a + b, 0);
    row.forEach((v, c) => (row[c] = v / s));
  }
  return [Array.from({ length: rows }, () => new Array(cols).fill(0)), Array.from({ length: cols }, (_, i) => i - 1), Array.from({ length: cols }, (_, i) => (i % 5) / 4), pv];
}

/** Two calls (the second from the advanced states), each output's bytes as base64. */
export function drawBytes(api, backend, seed, dtype, rows, cols) {
  const { inputs, outputs } = drawCases(api, seed, dtype);
  const f = api.fn(inputs, outputs, { backend });
  const args = drawArgs(rows, cols);
  return [f(...args), f(...args)].flat().map((a) => Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).toString('base64'));
}
