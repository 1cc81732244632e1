/**
 * Geometry of a 2-d convolution (Theano's conv2d semantics) and the im2col / col2im loops of the
 * TypeScript kernels. Everything that depends on shapes is decided here, once per plan: padding
 * resolved from the border mode, output sizes, the size of the column matrix. The native kernels
 * receive the same numbers as attributes and only execute.
 *
 * Layout: input (batch, channels, rows, cols), filters (outChannels, channels, fRows, fCols). The
 * column matrix of one image has one row per (channel, filter row, filter col) and one column
 * per output position; with filterFlip (true convolution) row (c, u, v) reads the input under
 * filter tap (fRows-1-u, fCols-1-v), so that filters · columns is the convolution with no
 * flipped copy of the filters.
 */
import { formatShape } from '../ndarray/shape.js';
import type { TypedArray } from '../ndarray/dtype.js';

export type BorderMode = 'valid' | 'full' | 'half' | number | readonly [number, number];

export interface ConvParams {
  border: 'valid' | 'full' | 'half' | [number, number];
  subsample: [number, number];
  flip: boolean;
  dilation: [number, number];
}

export interface ConvGeometry {
  batch: number;
  channels: number;
  rows: number;
  cols: number;
  outChannels: number;
  fRows: number;
  fCols: number;
  outRows: number;
  outCols: number;
  padRows: number;
  padCols: number;
  strideRows: number;
  strideCols: number;
  dilRows: number;
  dilCols: number;
  flip: boolean;
  /** Rows of the column matrix (channels · fRows · fCols) and its columns (outRows · outCols). */
  colRows: number;
  colCols: number;
  /** 1x1 filters, stride 1, no padding: the image itself is its column matrix. */
  direct: boolean;
}

const isPair = (v: unknown): v is [number, number] => Array.isArray(v) && v.length === 2 && v.every((d) => Number.isInteger(d));

/** Checks the user's options and puts them in one canonical form (also the op's key). */
export function convParams(opts: { borderMode?: BorderMode; subsample?: readonly number[]; filterFlip?: boolean; filterDilation?: readonly number[] }): ConvParams {
  const bm = opts.borderMode ?? 'valid';
  let border: ConvParams['border'];
  if (bm === 'valid' || bm === 'full' || bm === 'half') border = bm;
  else if (typeof bm === 'number' && Number.isInteger(bm) && bm >= 0) border = [bm, bm];
  else if (isPair(bm) && bm[0] >= 0 && bm[1] >= 0) border = [bm[0], bm[1]];
  else throw new Error(`conv2d: borderMode must be 'valid', 'full', 'half', a padding >= 0 or [padRows, padCols], got ${JSON.stringify(bm)}`);
  const pair = (v: readonly number[] | undefined, name: string): [number, number] => {
    const p = v ?? [1, 1];
    if (!isPair(p) || p[0] < 1 || p[1] < 1) throw new Error(`conv2d: ${name} must be two integers >= 1, got ${JSON.stringify(v)}`);
    return [p[0], p[1]];
  };
  const flip = opts.filterFlip ?? true;
  if (typeof flip !== 'boolean') throw new Error(`conv2d: filterFlip must be a boolean, got ${JSON.stringify(flip)}`);
  return { border, subsample: pair(opts.subsample, 'subsample'), flip, dilation: pair(opts.filterDilation, 'filterDilation') };
}

/** Padding of one axis for a filter of `k` taps spread by `dil` (Theano's get_conv_shape_1axis). */
function padFor(border: ConvParams['border'], axis: 0 | 1, k: number, dil: number): number {
  const dk = (k - 1) * dil + 1;
  if (border === 'valid') return 0;
  if (border === 'full') return dk - 1;
  if (border === 'half') return Math.floor(dk / 2);
  return border[axis];
}

/** The geometry for input shape `xs` and filter shape `ws`; `where` names the op in errors. */
export function convGeometry(p: ConvParams, xs: readonly number[], ws: readonly number[], where: string): ConvGeometry {
  if (xs.length !== 4 || ws.length !== 4) throw new Error(`${where}: input and filters must be 4-d, got shapes ${formatShape(xs)} and ${formatShape(ws)}`);
  const [batch, channels, rows, cols] = xs;
  const [outChannels, fc, fRows, fCols] = ws;
  if (fc !== channels) throw new Error(`${where}: the input ${formatShape(xs)} has ${channels} channels but the filters ${formatShape(ws)} expect ${fc}`);
  if (fRows < 1 || fCols < 1) throw new Error(`${where}: the filters ${formatShape(ws)} must have at least one row and one column`);
  const [dilRows, dilCols] = p.dilation;
  const [strideRows, strideCols] = p.subsample;
  const padRows = padFor(p.border, 0, fRows, dilRows);
  const padCols = padFor(p.border, 1, fCols, dilCols);
  const spanRows = rows + 2 * padRows - ((fRows - 1) * dilRows + 1);
  const spanCols = cols + 2 * padCols - ((fCols - 1) * dilCols + 1);
  if (spanRows < 0 || spanCols < 0) {
    throw new Error(`${where}: the filters ${formatShape(ws)} (dilation ${dilRows}x${dilCols}) do not fit in the input ${formatShape(xs)} padded by ${padRows}x${padCols}`);
  }
  const outRows = Math.floor(spanRows / strideRows) + 1;
  const outCols = Math.floor(spanCols / strideCols) + 1;
  const direct = fRows === 1 && fCols === 1 && strideRows === 1 && strideCols === 1 && padRows === 0 && padCols === 0;
  return {
    batch, channels, rows, cols, outChannels, fRows, fCols, outRows, outCols, padRows, padCols, strideRows, strideCols, dilRows, dilCols,
    flip: p.flip, colRows: channels * fRows * fCols, colCols: outRows * outCols, direct,
  };
}

/**
 * Calls `row(k, c, inRow0, inCol0)` for each row k of the column matrix, with the input
 * position read by output (0, 0) (it may lie in the padding); output (i, j) reads
 * (inRow0 + i·strideRows, inCol0 + j·strideCols).
 */
function forEachColRow(g: ConvGeometry, row: (k: number, c: number, r0: number, c0: number) => void): void {
  let k = 0;
  for (let c = 0; c < g.channels; c++) {
    for (let u = 0; u < g.fRows; u++) {
      const tu = g.flip ? g.fRows - 1 - u : u;
      for (let v = 0; v < g.fCols; v++) {
        const tv = g.flip ? g.fCols - 1 - v : v;
        row(k++, c, tu * g.dilRows - g.padRows, tv * g.dilCols - g.padCols);
      }
    }
  }
}

/** First and one-past-last output index whose input position start + i·stride lies in [0, size). */
function validRange(start: number, stride: number, size: number, outSize: number): [number, number] {
  const lo = start >= 0 ? 0 : Math.ceil(-start / stride);
  const hi = start >= size ? 0 : Math.min(outSize, Math.floor((size - 1 - start) / stride) + 1);
  return [Math.min(lo, hi), hi];
}

/** The column matrix (colRows x colCols) of one image (channels x rows x cols starting at `x0`). */
export function im2col(g: ConvGeometry, x: TypedArray, x0: number, cols: TypedArray): void {
  const N = g.colCols;
  const plane = g.rows * g.cols;
  forEachColRow(g, (k, c, r0, c0) => {
    const out = k * N;
    cols.fill(0, out, out + N);
    const [ilo, ihi] = validRange(r0, g.strideRows, g.rows, g.outRows);
    const [jlo, jhi] = validRange(c0, g.strideCols, g.cols, g.outCols);
    for (let i = ilo; i < ihi; i++) {
      const src = x0 + c * plane + (r0 + i * g.strideRows) * g.cols + c0;
      const dst = out + i * g.outCols;
      for (let j = jlo; j < jhi; j++) cols[dst + j] = x[src + j * g.strideCols];
    }
  });
}

/** Adds each entry of a column matrix back at the input position it was read from. */
export function col2im(g: ConvGeometry, cols: TypedArray, gx: Float64Array): void {
  const N = g.colCols;
  const plane = g.rows * g.cols;
  forEachColRow(g, (k, c, r0, c0) => {
    const src = k * N;
    const [ilo, ihi] = validRange(r0, g.strideRows, g.rows, g.outRows);
    const [jlo, jhi] = validRange(c0, g.strideCols, g.cols, g.outCols);
    for (let i = ilo; i < ihi; i++) {
      const dst = c * plane + (r0 + i * g.strideRows) * g.cols + c0;
      const row = src + i * g.outCols;
      for (let j = jlo; j < jhi; j++) gx[dst + j * g.strideCols] += cols[row + j];
    }
  });
}
