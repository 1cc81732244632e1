/** Distance of x from ref in units of the last place of ref (0 for equal values and for two NaNs). */
export function ulps(x: number, ref: number): number {
  if (Object.is(x, ref) || (Number.isNaN(x) && Number.isNaN(ref))) return 0;
  if (!Number.isFinite(x) || !Number.isFinite(ref)) return Infinity;
  const buf = new Float64Array([Math.abs(ref)]);
  const bits = new BigInt64Array(buf.buffer);
  bits[0] += 1n;
  const spacing = buf[0] - Math.abs(ref) || Number.MIN_VALUE;
  return Math.abs(x - ref) / spacing;
}

/** Distance of x from ref in units of the last place of ref as a float32 (ref may be any double). */
export function ulps32(x: number, ref: number): number {
  if (Object.is(x, ref) || (Number.isNaN(x) && Number.isNaN(ref))) return 0;
  if (!Number.isFinite(x) || !Number.isFinite(ref)) return Infinity;
  const f = new Float32Array([Math.abs(ref)]);
  // fround may round up past ref: take the float below, whose spacing is ref's.
  if (f[0] > Math.abs(ref)) new Int32Array(f.buffer)[0] -= 1;
  const low = f[0];
  new Int32Array(f.buffer)[0] += 1;
  const spacing = f[0] - low || 2 ** -149;
  return Math.abs(x - ref) / spacing;
}
