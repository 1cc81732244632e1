/**
 * A minimal ZIP reader and writer for .npz archives: stored and deflated entries (Node's zlib),
 * CRC-32 checked, zip64 size fields read (numpy writes them), archives up to 4 GiB written.
 * Reading checks that the directory and the entries agree and that no entry inflates past the
 * size its header declares, before inflating it.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { ByteBudget } from './limits.js';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface ZipEntry {
  name: string;
  data: Uint8Array;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_END = 0x06054b50;
const SIG_END64 = 0x06064b50;
const SIG_LOCATOR64 = 0x07064b50;
const MAX32 = 0xffffffff;

interface Directory {
  count: number;
  offset: number;
  size: number;
  /** Where the directory must end: the zip64 end record, or the end record. */
  endsAt: number;
}

export function readZip(buf: Uint8Array, where: string, budget = new ByteBudget(where)): ZipEntry[] {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const bad = (what: string): never => {
    throw new Error(`${where}: not a valid zip/npz archive (${what})`);
  };
  // Every read is bounds-checked here, so a lying field gives this message, not a RangeError.
  const u16 = (o: number) => (o >= 0 && o + 2 <= buf.length ? v.getUint16(o, true) : bad(`a field at byte ${o} lies outside the file`));
  const u32 = (o: number) => (o >= 0 && o + 4 <= buf.length ? v.getUint32(o, true) : bad(`a field at byte ${o} lies outside the file`));
  const u64 = (o: number) => (o >= 0 && o + 8 <= buf.length ? Number(v.getBigUint64(o, true)) : bad(`a field at byte ${o} lies outside the file`));

  const dir = findDirectory(buf, u16, u32, u64, bad);
  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  const decoder = new TextDecoder();
  let p = dir.offset;
  for (let k = 0; k < dir.count; k++) {
    if (p + 46 > dir.endsAt || u32(p) !== SIG_CENTRAL) bad(`the directory lists ${dir.count} entries but entry ${k} is missing or corrupt`);
    const flags = u16(p + 8);
    const method = u16(p + 10);
    const crc = u32(p + 16);
    let csize = u32(p + 20);
    let usize = u32(p + 24);
    const nameLen = u16(p + 28);
    const extraLen = u16(p + 30);
    const commentLen = u16(p + 32);
    let local = u32(p + 42);
    const next = p + 46 + nameLen + extraLen + commentLen;
    if (next > dir.endsAt) bad(`directory entry ${k} runs past the end of the directory`);
    const name = decoder.decode(buf.subarray(p + 46, p + 46 + nameLen));
    if (names.has(name)) bad(`entry ${name} appears twice`);
    names.add(name);
    // zip64: the 0xffffffff fields are in the extra field 0x0001, in this order.
    let e = p + 46 + nameLen;
    const eEnd = e + extraLen;
    while (e + 4 <= eEnd) {
      const id = u16(e);
      const len = u16(e + 2);
      if (e + 4 + len > eEnd) bad(`extra field of entry ${name} is longer than its space`);
      if (id === 1) {
        let q = e + 4;
        const take = () => {
          if (q + 8 > e + 4 + len) bad(`zip64 field of entry ${name} is too short`);
          const val = u64(q);
          q += 8;
          return val;
        };
        if (usize === MAX32) usize = take();
        if (csize === MAX32) csize = take();
        if (local === MAX32) local = take();
      }
      e += 4 + len;
    }
    if (local + 30 > dir.offset || u32(local) !== SIG_LOCAL) bad(`corrupt local header for ${name}`);
    const localNameLen = u16(local + 26);
    const localName = decoder.decode(buf.subarray(local + 30, local + 30 + localNameLen));
    if (localName !== name || u16(local + 8) !== method) bad(`the local header of ${name} disagrees with the directory (${JSON.stringify(localName)}, method ${u16(local + 8)})`);
    // Sizes in the local header are authoritative unless deferred to a data descriptor or zip64.
    const lcsize = u32(local + 18);
    const lusize = u32(local + 22);
    if (!(flags & 8) && lcsize !== MAX32 && lusize !== MAX32 && (lcsize !== csize || lusize !== usize)) {
      bad(`the local header of ${name} declares ${lcsize}/${lusize} bytes, the directory ${csize}/${usize}`);
    }
    const start = local + 30 + localNameLen + u16(local + 28);
    if (start + csize > dir.offset) bad(`entry ${name} is truncated or overlaps the directory`);
    const raw = buf.subarray(start, start + csize);
    budget.take(usize, `entry ${name}`);
    let data: Uint8Array;
    if (method === 0) {
      if (csize !== usize) bad(`stored entry ${name} has ${csize} bytes, its header says ${usize}`);
      data = raw;
    } else if (method === 8) {
      try {
        // Inflation stops at the declared size: a lying header cannot make it run on.
        data = inflateRawSync(raw, { maxOutputLength: Math.max(1, usize) });
      } catch (err) {
        const tooBig = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
        return bad(tooBig ? `entry ${name} inflates to more than the ${usize} bytes its header declares` : `entry ${name} does not inflate: ${(err as Error).message}`);
      }
    } else return bad(`entry ${name} uses compression method ${method}; only stored and deflate are supported`);
    if (data.length !== usize) bad(`entry ${name} has ${data.length} bytes, its header says ${usize}`);
    if (crc32(data) !== crc) bad(`CRC-32 mismatch in entry ${name}`);
    entries.push({ name, data });
    p = next;
  }
  if (p !== dir.offset + dir.size || p !== dir.endsAt) bad(`the directory lists ${dir.count} entries but holds ${dir.endsAt - p} more bytes of entries`);
  return entries;
}

function findDirectory(buf: Uint8Array, u16: (o: number) => number, u32: (o: number) => number, u64: (o: number) => number, bad: (what: string) => never): Directory {
  let end = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (u32(i) === SIG_END && i + 22 + u16(i + 20) === buf.length) {
      end = i;
      break;
    }
  }
  if (end < 0) bad('no end-of-central-directory record; the file may be truncated');
  if (u16(end + 4) !== 0 || u16(end + 6) !== 0) bad('multi-disk archives are not supported');
  let count = u16(end + 10);
  if (u16(end + 8) !== count) bad(`the end record gives two entry counts, ${u16(end + 8)} and ${count}`);
  let size = u32(end + 12);
  let offset = u32(end + 16);
  let endsAt = end;
  // zip64: the real values are in the zip64 end record named by the locator before `end`.
  if (end >= 20 && u32(end - 20) === SIG_LOCATOR64) {
    const at = u64(end - 12);
    if (at + 56 > end - 20 || u32(at) !== SIG_END64) bad('corrupt zip64 end record');
    if (count === 0xffff) count = u64(at + 32);
    if (size === MAX32) size = u64(at + 40);
    if (offset === MAX32) offset = u64(at + 48);
    endsAt = at;
  }
  if (offset + size !== endsAt) bad(`the directory should span bytes ${offset}..${offset + size}, but the end record is at ${endsAt}`);
  return { count, offset, size, endsAt };
}

/** Encode entries as a zip archive (one chunk per piece, to be written in order). */
export function writeZip(entries: readonly ZipEntry[], compress: boolean): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const encoder = new TextEncoder();
  // 1980-01-01 00:00, as numpy's savez does: archives do not change with the clock.
  const dosTime = 0;
  const dosDate = (0 << 9) | (1 << 5) | 1;
  for (const { name, data } of entries) {
    const nameBytes = encoder.encode(name);
    const body = compress ? deflateRawSync(data) : data;
    const crc = crc32(data);
    if (offset + body.length > 0xfffffffe || data.length > 0xfffffffe) throw new Error('archive too large: more than 4 GiB');
    const local = new Uint8Array(30 + nameBytes.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, SIG_LOCAL, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, compress ? 8 : 0, true);
    lv.setUint16(10, dosTime, true);
    lv.setUint16(12, dosDate, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, body.length, true);
    lv.setUint32(22, data.length, true);
    lv.setUint16(26, nameBytes.length, true);
    local.set(nameBytes, 30);
    const cen = new Uint8Array(46 + nameBytes.length);
    const cv = new DataView(cen.buffer);
    cv.setUint32(0, SIG_CENTRAL, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, compress ? 8 : 0, true);
    cv.setUint16(12, dosTime, true);
    cv.setUint16(14, dosDate, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, body.length, true);
    cv.setUint32(24, data.length, true);
    cv.setUint16(28, nameBytes.length, true);
    cv.setUint32(42, offset, true);
    cen.set(nameBytes, 46);
    chunks.push(local, body);
    central.push(cen);
    offset += local.length + body.length;
  }
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, SIG_END, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  return [...chunks, ...central, end];
}
