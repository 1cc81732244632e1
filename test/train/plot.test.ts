/** Training curves: structure of the SVG, and the picture itself rendered by librsvg when it is installed. */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';
import { training } from 'theanode';
import { niceTicks } from '../../lib/train/plot.js';

const rsvg = '/usr/bin/rsvg-convert';
const loss = Array.from({ length: 60 }, (_, i) => 2 * Math.exp(-i / 12) + 0.2);
const withGaps = loss.map((v, i) => (i === 20 || i === 21 || i === 40 ? NaN : v + 0.1));
const long = () => training.curvesSvg([{ title: 'loss', series: [{ label: 'train', values: loss }, { label: 'test', values: withGaps }] }], '60 epochs');

const attrs = (svg: string, tag: string) => [...svg.matchAll(new RegExp(`<${tag} ([^>]*)/?>`, 'g'))].map((m) => Object.fromEntries([...m[1].matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]])));
const texts = (svg: string) => [...svg.matchAll(/<text ([^>]*)>([^<]*)<\/text>/g)].map((m) => ({ y: Number(/ y="([-\d.]+)"/.exec(m[1])![1]), text: m[2] }));

/** RGBA pixels of an 8-bit RGB or RGBA PNG (rsvg-convert writes RGB when nothing is transparent). */
function decodePng(png: Buffer): { width: number; height: number; rgba: Uint8Array } {
  const width = png.readUInt32BE(16), height = png.readUInt32BE(20);
  expect(png[24]).toBe(8);
  expect([2, 6]).toContain(png[25]);
  const channels = png[25] === 6 ? 4 : 3;
  const chunks: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const len = png.readUInt32BE(at), type = png.toString('latin1', at + 4, at + 8);
    if (type === 'IDAT') chunks.push(png.subarray(at + 8, at + 8 + len));
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(chunks));
  const stride = width * channels, px = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const cur = raw[y * (stride + 1) + 1 + x];
      const a = x >= channels ? px[y * stride + x - channels] : 0, b = y > 0 ? px[(y - 1) * stride + x] : 0, c = x >= channels && y > 0 ? px[(y - 1) * stride + x - channels] : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter];
      px[y * stride + x] = (cur + pred) & 255;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    for (let k = 0; k < 3; k++) rgba[4 * i + k] = px[channels * i + k];
    rgba[4 * i + 3] = channels === 4 ? px[4 * i + 3] : 255;
  }
  return { width, height, rgba };
}

describe('curvesSvg', () => {
  it('draws one panel per metric with a line per series', () => {
    const svg = training.curvesSvg([
      { title: 'loss', series: [{ label: 'train', values: [1, 0.5, 0.25] }] },
      { title: 'accuracy', series: [{ label: 'train', values: [0.5, 0.7, 0.8] }, { label: 'test', values: [0.4, 0.6, 0.7] }] },
    ], 'a <model>');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="840"/);
    expect(svg.match(/<polyline/g)).toHaveLength(3);
    expect(svg).toContain('a &lt;model&gt;');
  });

  it('has an opaque background, labels both axes and keeps the legend below the plot', () => {
    const svg = long();
    const [background] = attrs(svg, 'rect');
    expect(background).toMatchObject({ x: '0', y: '0', fill: '#ffffff' });
    expect(background.opacity).toBeUndefined();
    const plot = attrs(svg, 'rect')[1];
    const plotBottom = Number(plot.y) + Number(plot.height);
    const labels = texts(svg);
    expect(labels.find((t) => t.text === 'epoch')).toBeDefined();
    expect(svg).toMatch(/transform="rotate\(-90[^"]*"\)?>loss<\/text>/);
    for (const name of ['train', 'test']) expect(labels.find((t) => t.text === name)!.y).toBeGreaterThan(plotBottom);
  });

  it('labels at most nine epochs of sixty, at round numbers', () => {
    const ticks = texts(long()).filter((t) => /^\d+$/.test(t.text) && t.y > 200 && t.y < 230).map((t) => Number(t.text));
    expect(ticks).toEqual([1, 10, 20, 30, 40, 50, 60]);
    expect(niceTicks(1, 12, 8, 1)).toEqual([2, 4, 6, 8, 10, 12]);
    expect(niceTicks(1, 3, 8, 1)).toEqual([1, 2, 3]);
  });

  it('leaves a gap at each NaN instead of bridging it', () => {
    const svg = long();
    const lines = attrs(svg, 'polyline').map((l) => l.points.split(' ').length);
    // train: one line of 60 points; test: epochs 1-20, 23-40 and 42-60.
    expect(lines).toEqual([60, 20, 18, 19]);
    expect(svg.match(/>×<\/text>/g)).toHaveLength(3);
    expect(svg).toContain('× no value (NaN)');
  });

  it('draws a single epoch as labelled points in the middle', () => {
    const svg = training.curvesSvg([{ title: 'loss', series: [{ label: 'train', values: [0.4321] }] }]);
    expect(attrs(svg, 'polyline')).toEqual([]);
    const points = attrs(svg, 'circle').filter((c) => c.r === '4');
    expect(points).toHaveLength(1);
    expect(Number(points[0].cx)).toBeCloseTo(64 + (420 - 64 - 16) / 2, 1);
    expect(texts(svg).map((t) => t.text)).toEqual(expect.arrayContaining(['1', '0.4321']));
  });

  it.runIf(existsSync(rsvg))('renders with librsvg to an opaque picture with both curves in it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'theanode-plot-'));
    try {
      writeFileSync(join(dir, 'curves.svg'), long());
      await promisify(execFile)(rsvg, ['-o', join(dir, 'curves.png'), join(dir, 'curves.svg')]);
      const { width, height, rgba } = decodePng(readFileSync(join(dir, 'curves.png')));
      expect([width, height]).toEqual([420, Number(/height="(\d+)"/.exec(long())![1])]);
      let transparent = 0, blue = 0, red = 0;
      for (let i = 0; i < rgba.length; i += 4) {
        if (rgba[i + 3] !== 255) transparent++;
        if (rgba[i] < 60 && rgba[i + 1] > 100 && rgba[i + 2] > 160) blue++;
        if (rgba[i] > 190 && rgba[i + 1] < 70 && rgba[i + 2] < 70) red++;
      }
      expect(transparent).toBe(0);
      expect(blue).toBeGreaterThan(300);
      expect(red).toBeGreaterThan(300);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
