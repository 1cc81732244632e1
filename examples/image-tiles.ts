/**
 * Weights as pictures: rows of a matrix tiled as small grey images (like the Deep Learning
 * Tutorials' tile_raster_images), written as an 8-bit greyscale PNG with node:zlib.
 */
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import type { NDArray } from 'theanode';

/**
 * Each of the first rows·cols rows of `x` (n × h·w) as an h×w tile, scaled to 0..255 on its own
 * range, on a grid with one black pixel between tiles.
 */
export function tileRows(x: NDArray, [h, w]: [number, number], [rows, cols]: [number, number]): { width: number; height: number; pixels: Uint8Array } {
  const width = cols * (w + 1) - 1;
  const height = rows * (h + 1) - 1;
  const pixels = new Uint8Array(width * height);
  const size = h * w;
  for (let k = 0; k < Math.min(rows * cols, x.shape[0]); k++) {
    const tile = x.data.subarray(k * size, (k + 1) * size);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of tile) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const scale = hi > lo ? 255 / (hi - lo) : 0;
    const top = Math.floor(k / cols) * (h + 1);
    const left = (k % cols) * (w + 1);
    for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) pixels[(top + r) * width + left + c] = Math.round((tile[r * w + c] - lo) * scale);
  }
  return { width, height, pixels };
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** An 8-bit greyscale PNG of `pixels` (row by row). */
export function writeGreyPng(path: string, { width, height, pixels }: { width: number; height: number; pixels: Uint8Array }): void {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8); // 8 bits, greyscale, deflate, no filter method choice, no interlace
  const raw = new Uint8Array(height * (width + 1)); // each row starts with filter type 0
  for (let r = 0; r < height; r++) raw.set(pixels.subarray(r * width, (r + 1) * width), r * (width + 1) + 1);
  const signature = Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10);
  writeFileSync(path, Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]));
}
