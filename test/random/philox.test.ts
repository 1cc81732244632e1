/** Philox4x32-10 against the published known-answer vectors (Random123's kat_vectors). */
import { describe, expect, it } from 'vitest';
import { advancedCounter, philox4x32 } from '../../lib/random/philox.js';

describe('philox4x32-10', () => {
  // counter (4 words), key (2 words) -> output (4 words)
  const vectors: [number[], number[], number[]][] = [
    [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
    [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]],
    [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]],
  ];
  for (const [c, k, want] of vectors) {
    it(`ctr ${c.map((x) => x.toString(16)).join(' ')}`, () => {
      const out = new Uint32Array(4);
      philox4x32(c[0], c[1], c[2], c[3], k[0], k[1], out);
      expect([...out]).toEqual(want);
    });
  }

  it('the 128-bit counter carries through its words', () => {
    expect(advancedCounter([0, 0, -1, -1, 5, 0], 1)).toEqual([0, 0, 6, 0]);
    expect(advancedCounter([0, 0, -2, 0, 0, 0], 3)).toEqual([1, 1, 0, 0]);
    expect(advancedCounter([0, 0, 7, 0, 0, 0], 2 ** 40 + 2)).toEqual([9, 256, 0, 0]);
  });
});
