/** io against files numpy wrote (gen_io.py), round trips, atomic saves and corrupt input. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, chmodSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import expected from '../fixtures/io/expected.json';
import { loadNpy, saveNpy, loadNpz, saveNpz, loadIdx, parseNpy, encodeNpy, parseIdx } from '../../lib/io/index.js';
import { NDArray, array } from '../../lib/ndarray/ndarray.js';

const dir = join(__dirname, '../fixtures/io');
const exp = expected as Record<string, { shape: number[]; values: number[] }>;
const tmp = () => mkdtempSync(join(tmpdir(), 'theanode-io-'));

function check(a: NDArray, name: string) {
  expect(a.shape).toEqual(exp[name].shape);
  expect(Array.from(a.data)).toEqual(exp[name].values.map((v, i) => (a.dtype === 'float32' ? Math.fround(v) : v)));
}

describe('loadNpy reads what numpy wrote', () => {
  const dtypes: Record<string, string> = {
    f8: 'float64', f4: 'float32', i8: 'int32', i4: 'int32', i2: 'int32', u1: 'int32', b1: 'bool',
    f8_big: 'float64', i4_big: 'int32', fortran: 'float64', fortran3d: 'int32', scalar: 'float64', empty: 'float64', vector: 'float64', v2: 'float64',
  };
  for (const [name, dtype] of Object.entries(dtypes)) {
    it(name, () => {
      const a = loadNpy(join(dir, `${name}.npy`));
      expect(a.dtype).toBe(dtype);
      check(a, name);
    });
  }
});

describe('npz', () => {
  it('reads np.savez and np.savez_compressed archives', () => {
    const p = loadNpz(join(dir, 'plain.npz'));
    expect(Object.keys(p).sort()).toEqual(['a', 'b', 'c']);
    expect(Array.from(p.a.data)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(p.b.dtype).toBe('int32');
    expect(p.c.shape).toEqual([]);
    expect(p.c.item()).toBe(1);
    const c = loadNpz(join(dir, 'compressed.npz'));
    expect(c.w.dtype).toBe('float32');
    expect(c.w.data[1]).toBe(Math.fround(1 / 7));
    expect(Array.from(c.labels.data)).toEqual([3, 1, 4]);
  });

  it('round-trips, stored and compressed', () => {
    const d = tmp();
    const arrays = { x: array([[1.5, 2], [3, 4]]), n: array([1, 2, 3], { dtype: 'int32' }), f: array([0.1], { dtype: 'float32' }), b: array([true, false]) };
    for (const compressed of [false, true]) {
      const path = join(d, `m${compressed}.npz`);
      saveNpz(path, arrays, { compressed });
      const back = loadNpz(path);
      for (const [k, v] of Object.entries(arrays)) {
        expect(back[k].dtype).toBe(v.dtype);
        expect(back[k].shape).toEqual(v.shape);
        expect(Array.from(back[k].data)).toEqual(Array.from(v.data));
      }
    }
  });
});

describe('saveNpy', () => {
  it('writes the same bytes numpy writes for the same array', () => {
    const ours = encodeNpy(array([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]], { dtype: 'float64' }));
    const numpys = new Uint8Array(readFileSync(join(dir, 'v2.npy')));
    // numpy's file is version 2.0; compare the decoded arrays and our header's shape text.
    expect(Array.from(parseNpy(ours).data)).toEqual(Array.from(parseNpy(numpys).data));
    expect(new TextDecoder().decode(ours.subarray(10, 80))).toContain("'shape': (3, 4)");
    expect((ours.length - 0) % 16).toBe(0);
  });

  it('round-trips every dtype, 0-d and empty arrays', () => {
    const d = tmp();
    for (const a of [array(2.5), new NDArray(new Float64Array(0), [0, 4]), array([1, -2], { dtype: 'int32' }), array([true]), array([[0.5]], { dtype: 'float32' })]) {
      const p = join(d, 'a.npy');
      saveNpy(p, a);
      const b = loadNpy(p);
      expect(b.dtype).toBe(a.dtype);
      expect(b.shape).toEqual(a.shape);
      expect(Array.from(b.data)).toEqual(Array.from(a.data));
    }
  });

  it('is atomic: a failed save leaves the old file whole and no temporary behind', () => {
    const d = tmp();
    const p = join(d, 'keep.npy');
    saveNpy(p, array([1, 2, 3], { dtype: 'float64' }));
    const before = readFileSync(p);
    chmodSync(d, 0o500);
    try {
      // root ignores directory permissions: only assert when the write really fails.
      let failed = false;
      try {
        saveNpy(p, array([9], { dtype: 'float64' }));
      } catch (e) {
        failed = true;
        expect((e as Error).message).toMatch(/could not write/);
      }
      if (failed) expect(readFileSync(p)).toEqual(before);
    } finally {
      chmodSync(d, 0o700);
    }
    // A target that is a directory fails at the rename: the temporary file is removed.
    expect(() => saveNpy(d, array([1]))).toThrow(/could not write/);
    expect(readdirSync(d).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(existsSync(p)).toBe(true);
  });
});

describe('corrupt input gives clear errors', () => {
  const good = new Uint8Array(readFileSync(join(dir, 'f8.npy')));
  it('bad magic, truncation, unsupported dtypes, missing files', () => {
    expect(() => parseNpy(new Uint8Array([1, 2, 3]), 'x.npy')).toThrow(/x.npy: not a .npy file/);
    expect(() => parseNpy(good.subarray(0, good.length - 8), 'x.npy')).toThrow(/truncated data/);
    expect(() => parseNpy(good.subarray(0, 40), 'x.npy')).toThrow(/truncated .npy header/);
    const complex = encodeNpy(array([1], { dtype: 'float64' }));
    const text = new TextDecoder('latin1').decode(complex).replace('<f8', '<c8');
    expect(() => parseNpy(Uint8Array.from(text, (c) => c.charCodeAt(0)), 'c.npy')).toThrow(/unsupported dtype "<c8"/);
    const obj = new TextDecoder('latin1').decode(complex).replace("'<f8'", "'|O' ");
    expect(() => parseNpy(Uint8Array.from(obj, (c) => c.charCodeAt(0)), 'o.npy')).toThrow(/unsupported dtype/);
    expect(() => loadNpy('/nonexistent/a.npy')).toThrow(/\/nonexistent\/a.npy: no such file/);
  });

  it('int64 values that do not fit int32', () => {
    const a = encodeNpy(array([1], { dtype: 'float64' }));
    const text = new TextDecoder('latin1').decode(a).replace('<f8', '<i8');
    const buf = Uint8Array.from(text, (c) => c.charCodeAt(0));
    new DataView(buf.buffer).setBigInt64(buf.length - 8, 1n << 40n, true);
    expect(() => parseNpy(buf, 'big.npy')).toThrow(/int64 value 1099511627776 .* does not fit in int32/);
  });

  it('npz with a bad CRC or cut short', () => {
    const d = tmp();
    const p = join(d, 'x.npz');
    saveNpz(p, { a: array([1, 2, 3], { dtype: 'float64' }) });
    const buf = new Uint8Array(readFileSync(p));
    buf[100] ^= 0xff;
    writeFileSync(join(d, 'crc.npz'), buf);
    expect(() => loadNpz(join(d, 'crc.npz'))).toThrow(/CRC-32 mismatch in entry a.npy|bad .npy header|not a .npy/);
    writeFileSync(join(d, 'cut.npz'), buf.subarray(0, 50));
    expect(() => loadNpz(join(d, 'cut.npz'))).toThrow(/not a valid zip\/npz archive/);
  });
});

describe('loadIdx', () => {
  it('reads gzipped unsigned bytes and big-endian floats', () => {
    const a = loadIdx(join(dir, 'images-idx3-ubyte.gz'));
    expect(a.dtype).toBe('int32');
    check(a, 'idx_images');
    const f = loadIdx(join(dir, 'floats-idx2-float'));
    expect(f.dtype).toBe('float32');
    check(f, 'idx_floats');
  });

  it('refuses bad magic and truncated data', () => {
    expect(() => parseIdx(new Uint8Array([1, 0, 8, 1]), 'm')).toThrow(/m: not an IDX file/);
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 5, 1, 2]), 'm')).toThrow(/truncated data: shape \[5\] needs 5 bytes/);
    expect(() => parseIdx(new Uint8Array([0x1f, 0x8b, 1, 2]), 'g')).toThrow(/corrupt gzip/);
  });
});
