/** The logarithm and sine/cosine of the random transforms, against Math (stated accuracy). */
import { describe, expect, it } from 'vitest';
import { cosSinTurn, lnScaled } from '../../lib/random/unit_math.js';
import { RandomState } from '../../lib/random/index.js';

const ULP = 2 ** -52;

describe('random transforms', () => {
  const rng = new RandomState(3);
  it('lnScaled(m, k) = ln(m 2^-k) within 2 ulp', () => {
    let worst = 0;
    for (let i = 0; i < 50000; i++) {
      const k = i % 2 ? 53 : 32;
      // Both ends matter: u near 1 (m near 2^k) and tiny u.
      const m = i % 5 === 0 ? 2 ** k - (i % 977) : Math.floor(rng.random_sample() * 2 ** (1 + (i % k))) + 1;
      const want = Math.log(m / 2 ** k);
      const got = lnScaled(m, k);
      if (want === 0) expect(got).toBe(0);
      else worst = Math.max(worst, Math.abs(got - want) / (Math.abs(want) * ULP));
    }
    expect(worst).toBeLessThanOrEqual(2);
  });

  it('cosSinTurn(m, k) = (cos, sin)(2π m 2^-k) within 2e-16 of Math on the reduced angle', () => {
    const out = new Float64Array(2);
    let worst = 0;
    let worstReduced = 0;
    for (let i = 0; i < 50000; i++) {
      const k = i % 2 ? 53 : 32;
      const m = Math.floor(rng.random_sample() * 2 ** k);
      cosSinTurn(m, k, out);
      const th = (2 * Math.PI * m) / 2 ** k;
      worst = Math.max(worst, Math.abs(out[0] - Math.cos(th)), Math.abs(out[1] - Math.sin(th)));
      // The same angle reduced exactly to [-π/4, π/4) plus whole quarter turns: only the series' error.
      const quarter = 2 ** (k - 2);
      const q = Math.round(m / quarter - 1e-9);
      const phi = (m - q * quarter) * ((2 * Math.PI) / 2 ** k);
      const c = [Math.cos(phi), -Math.sin(phi), -Math.cos(phi), Math.sin(phi)][q & 3];
      const s = [Math.sin(phi), Math.cos(phi), -Math.sin(phi), -Math.cos(phi)][q & 3];
      worstReduced = Math.max(worstReduced, Math.abs(out[0] - c), Math.abs(out[1] - s));
    }
    // Against cos(2π m 2^-k) computed naively, whose angle itself is rounded by up to 4.4e-16.
    expect(worst).toBeLessThan(1e-15);
    expect(worstReduced).toBeLessThan(2.5e-16);
    cosSinTurn(0, 53, out);
    expect([...out]).toEqual([1, 0]);
    cosSinTurn(2 ** 51, 53, out); // a quarter turn
    expect(out[0]).toBe(-0);
    expect(out[1]).toBe(1);
  });
});
