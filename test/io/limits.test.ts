/**
 * Loaders against archives whose directory lies, entries that inflate past their declared
 * size, decompression bombs, the maxBytes option, deep headers, and temporary files left by
 * processes killed mid-save.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { loadIdx, loadNpy, loadNpz, parseIdx, parseNpy, saveNpy, saveNpz } from '../../lib/io/index.js';
import { writeZip } from '../../lib/io/zip.js';
import { array, zeros } from '../../lib/ndarray/ndarray.js';
import { encodeNpy } from '../../lib/io/npy.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'theanode-limits-'));

function twoArrayArchive(): { path: string; buf: Uint8Array; end: number } {
  const path = join(tmp(), 'two.npz');
  saveNpz(path, { a: array([1, 2, 3], { dtype: 'float64' }), b: array([4, 5], { dtype: 'int32' }) });
  const buf = new Uint8Array(readFileSync(path));
  return { path, buf, end: buf.length - 22 };
}

describe('zip directory consistency', () => {
  it('refuses an archive whose entry counts were edited, whichever way', () => {
    for (const count of [0, 1, 3]) {
      const { path, buf, end } = twoArrayArchive();
      const v = new DataView(buf.buffer);
      v.setUint16(end + 8, count, true);
      v.setUint16(end + 10, count, true);
      writeFileSync(path, buf);
      expect(() => loadNpz(path), `count ${count}`).toThrow(new RegExp(`${path.replace(/[/.]/g, '\\$&')}: not a valid zip/npz archive \\(the directory lists ${count} entries`));
    }
    const { path, buf, end } = twoArrayArchive();
    new DataView(buf.buffer).setUint16(end + 10, 1, true);
    writeFileSync(path, buf);
    expect(() => loadNpz(path)).toThrow(/the end record gives two entry counts, 2 and 1/);
  });

  it('refuses a directory that points at the wrong local header or a bad extra field', () => {
    const { path, buf } = twoArrayArchive();
    const cd = new DataView(buf.buffer).getUint32(buf.length - 22 + 16, true);
    const v = new DataView(buf.buffer);
    const saved = v.getUint32(cd + 42, true);
    v.setUint32(cd + 42, 3, true);
    writeFileSync(path, buf);
    expect(() => loadNpz(path)).toThrow(/corrupt local header for a.npy/);
    v.setUint32(cd + 42, saved, true);
    v.setUint16(cd + 30, 60000, true); // extra field length running past the directory
    writeFileSync(path, buf);
    expect(() => loadNpz(path)).toThrow(/not a valid zip\/npz archive \(directory entry 0 runs past the end of the directory\)/);
  });

  it('stops inflating an entry at the size its header declares', () => {
    const big = new Uint8Array(32 * 2 ** 20); // 32 MiB of zeros deflate to ~32 KiB
    const chunks = writeZip([{ name: 'a.npy', data: big }], true);
    const buf = Buffer.concat(chunks);
    // Rewrite both headers to claim 10 bytes uncompressed.
    const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    v.setUint32(22, 10, true);
    const cd = v.getUint32(buf.length - 22 + 16, true);
    v.setUint32(cd + 24, 10, true);
    const path = join(tmp(), 'bomb.npz');
    writeFileSync(path, buf);
    expect(() => loadNpz(path)).toThrow(/entry a.npy inflates to more than the 10 bytes its header declares/);
  });
});

describe('maxBytes', () => {
  it('bounds npy, npz and IDX loads, naming the file', () => {
    const d = tmp();
    saveNpy(join(d, 'a.npy'), zeros([1000]));
    expect(() => loadNpy(join(d, 'a.npy'), { maxBytes: 4000 })).toThrow(/a.npy: the file needs \d+ bytes, more than the load's limit of 4000 \(maxBytes\)/);
    expect(loadNpy(join(d, 'a.npy'), { maxBytes: 20_000 }).size).toBe(1000);
    saveNpz(join(d, 'z.npz'), { a: zeros([1000]), b: zeros([1000]) }, { compressed: true });
    expect(() => loadNpz(join(d, 'z.npz'), { maxBytes: 20_000 })).toThrow(/z.npz: .* more than the load's limit of 20000/);
    expect(Object.keys(loadNpz(join(d, 'z.npz'), { maxBytes: 40_000 }))).toEqual(['a', 'b']);
    const idx = gzipSync(Buffer.concat([Buffer.from([0, 0, 8, 1, 0, 0, 0x10, 0]), Buffer.alloc(4096)]));
    writeFileSync(join(d, 'i.gz'), idx);
    expect(() => loadIdx(join(d, 'i.gz'), { maxBytes: 1000 })).toThrow(/i.gz: the decompressed data \(shape \[4096\]\) needs 4104 bytes/);
    expect(loadIdx(join(d, 'i.gz')).shape).toEqual([4096]);
    expect(() => loadNpy(join(d, 'a.npy'), { maxBytes: -1 })).toThrow(/maxBytes must be a non-negative number/);
  });
});

describe('IDX decompression bomb', () => {
  it('refuses a small gzip that carries far more than its header declares, without inflating it all', () => {
    const header = Buffer.from([0, 0, 8, 1, 0, 0, 0, 10]);
    const bomb = gzipSync(Buffer.concat([header, Buffer.alloc(64 * 2 ** 20)]), { level: 9 });
    expect(bomb.length).toBeLessThan(200_000);
    const before = process.memoryUsage().rss;
    expect(() => parseIdx(bomb, 'bomb.gz')).toThrow(/bomb.gz: the gzip data decompresses to more than the 18 bytes the IDX header declares \(shape \[10\]\)/);
    // The 64 MiB were never materialised (a generous bound: other tests share the process).
    expect(process.memoryUsage().rss - before).toBeLessThan(48 * 2 ** 20);
  });

  it('refuses trailing bytes after the declared data in plain IDX too', () => {
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 7, 8, 9]), 'm')).toThrow(/m: 1 bytes follow the data that shape \[2\] declares/);
    expect(Array.from(parseIdx(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 7, 8]), 'm').data)).toEqual([7, 8]);
  });
});

describe('deep and odd .npy headers', () => {
  const npy = (dict: string) => {
    const text = dict + '\n';
    const out = new Uint8Array(10 + text.length);
    out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    new DataView(out.buffer).setUint16(8, text.length, true);
    for (let i = 0; i < text.length; i++) out[10 + i] = text.charCodeAt(i);
    return out;
  };

  it('refuses deep nesting with a message instead of a stack overflow', () => {
    const deep = `{'descr': '<f8', 'fortran_order': False, 'shape': ${'('.repeat(5000)}${')'.repeat(5000)}}`;
    expect(() => parseNpy(npy(deep), 'deep.npy')).toThrow(/deep.npy: bad .npy header \(nested more than 16 levels deep\)/);
    expect(() => parseNpy(npy(`{'descr': '<f8', 'shape': (${'1,'.repeat(70)})}`), 'wide.npy')).toThrow(/fortran_order|at most 64/);
    expect(() => parseNpy(npy(`{'descr': '<f8', 'fortran_order': False, 'shape': (`), 'open.npy')).toThrow(/open.npy: bad .npy header \(unterminated \(\)/);
  });

  it('still reads a header with every element of the syntax', () => {
    const body = encodeNpy(array([1.5, 2.5], { dtype: 'float64' }));
    expect(Array.from(parseNpy(body, 'ok.npy').data)).toEqual([1.5, 2.5]);
  });
});

describe('temporary files of processes killed mid-save', () => {
  it('are removed by the next save into the directory; live ones are kept', () => {
    const d = tmp();
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout.trim());
    const orphan = join(d, `.w.npz.${deadPid}.${Date.now() - 5000}.tmp`);
    const live = join(d, `.w.npz.${process.ppid}.${Date.now()}.tmp`);
    const unrelated = join(d, `.notes.tmp`);
    for (const f of [orphan, live, unrelated]) writeFileSync(f, 'partial');
    saveNpz(join(d, 'w.npz'), { w: zeros([2]) });
    expect([existsSync(orphan), existsSync(live), existsSync(unrelated)]).toEqual([false, true, true]);
    expect(loadNpz(join(d, 'w.npz')).w.shape).toEqual([2]);
  });
});
