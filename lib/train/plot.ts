/** Training curves as a small self-contained SVG: one panel per metric, epochs on the x axis. */

/** One curve: a value per epoch (NaN or another non-finite value leaves a gap). */
export interface Series {
  label: string;
  values: number[];
}

/** One plot: its title, its curves, and the y axis label (the title when not given). */
export interface Panel {
  title: string;
  series: Series[];
  yLabel?: string;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const W = 420;
const PLOT = { l: 64, r: 16, t: 30, h: 180 };
/** Below the plot: tick labels, the x axis label, then the legend rows. */
const X_TICKS = 16, X_LABEL = 32, LEGEND_ROW = 18;
const PLOT_W = W - PLOT.l - PLOT.r;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Round steps (1, 2 or 5 times a power of ten) covering [lo, hi] with at most about n ticks. */
export function niceTicks(lo: number, hi: number, n = 5, minStep = 0): number[] {
  if (!(hi > lo)) return [lo];
  const step0 = Math.max((hi - lo) / n, minStep);
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0 * (1 - 1e-9))!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** The y range: the data's, widened when all values are equal (by 10% of the value, or 1 around 0). */
function yRange(values: number[]): [number, number] {
  if (values.length === 0) return [0, 1];
  const lo = Math.min(...values), hi = Math.max(...values);
  if (hi > lo) {
    const pad = (hi - lo) * 0.08;
    return [lo - pad, hi + pad];
  }
  const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
  return [lo - d, hi + d];
}

/** Runs of consecutive finite values, as [first index, values]: NaN splits a curve. */
function segments(values: number[]): [number, number[]][] {
  const out: [number, number[]][] = [];
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) return;
    const last = out[out.length - 1];
    if (last && last[0] + last[1].length === i) last[1].push(v);
    else out.push([i, [v]]);
  });
  return out;
}

/** Legend entries laid out left to right in rows that fit the panel's width. */
function legendRows(labels: string[]): { label: string; k: number; x: number; row: number }[] {
  const out: { label: string; k: number; x: number; row: number }[] = [];
  let x = 0, row = 0;
  labels.forEach((label, k) => {
    const width = 28 + 7 * label.length + 16;
    if (x > 0 && x + width > PLOT_W) {
      x = 0;
      row++;
    }
    out.push({ label, k, x, row });
    x += width;
  });
  return out;
}

function panelSvg(p: Panel, x0: number): string {
  const [lo, hi] = yRange(p.series.flatMap((s) => s.values).filter(Number.isFinite));
  const n = Math.max(...p.series.map((s) => s.values.length), 1);
  // Epoch e (1-based) sits at the middle of its own slot when there are few, so one epoch is centred.
  const sx = (i: number) => x0 + PLOT.l + (n === 1 ? PLOT_W / 2 : (i / (n - 1)) * PLOT_W);
  const sy = (v: number) => PLOT.t + (1 - (v - lo) / (hi - lo)) * PLOT.h;
  const bottom = PLOT.t + PLOT.h;
  const f = (v: number) => v.toFixed(1);
  const parts: string[] = [];
  parts.push(`<text x="${x0 + W / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(p.title)}</text>`);
  for (const t of niceTicks(lo, hi)) {
    if (t < lo || t > hi) continue;
    parts.push(`<line x1="${x0 + PLOT.l}" x2="${x0 + PLOT.l + PLOT_W}" y1="${f(sy(t))}" y2="${f(sy(t))}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${x0 + PLOT.l - 6}" y="${f(sy(t) + 4)}" text-anchor="end" font-size="11">${t}</text>`);
  }
  // At most ~8 epoch labels, at whole, round epochs: 60 epochs are labelled 10, 20, ... 60.
  const xTicks = n === 1 ? [1] : niceTicks(1, n, 8, 1).filter((e) => Number.isInteger(e) && e >= 1);
  if (n > 1 && xTicks[0] - 1 > (xTicks[1] - xTicks[0]) / 2) xTicks.unshift(1);
  for (const e of xTicks) {
    parts.push(`<line x1="${f(sx(e - 1))}" x2="${f(sx(e - 1))}" y1="${bottom}" y2="${bottom + 4}" stroke="#888"/>`);
    parts.push(`<text x="${f(sx(e - 1))}" y="${bottom + X_TICKS}" text-anchor="middle" font-size="11">${e}</text>`);
  }
  parts.push(`<rect x="${x0 + PLOT.l}" y="${PLOT.t}" width="${PLOT_W}" height="${PLOT.h}" fill="none" stroke="#888"/>`);
  parts.push(`<text x="${x0 + PLOT.l + PLOT_W / 2}" y="${bottom + X_LABEL}" text-anchor="middle" font-size="12">epoch</text>`);
  const yMid = PLOT.t + PLOT.h / 2;
  parts.push(`<text x="${x0 + 14}" y="${yMid}" text-anchor="middle" font-size="12" transform="rotate(-90 ${x0 + 14} ${yMid})">${esc(p.yLabel ?? p.title)}</text>`);
  p.series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    for (const [first, vals] of segments(s.values)) {
      const pts = vals.map((v, j) => `${f(sx(first + j))},${f(sy(v))}`);
      if (vals.length > 1) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"/>`);
    }
    // Markers where a point stands alone (or there are few epochs), so no value is invisible.
    s.values.forEach((v, i) => {
      const alone = !Number.isFinite(s.values[i - 1]) && !Number.isFinite(s.values[i + 1]);
      if (Number.isFinite(v) && (n <= 30 || alone)) parts.push(`<circle cx="${f(sx(i))}" cy="${f(sy(v))}" r="${n === 1 ? 4 : 2.5}" fill="${color}"/>`);
      if (!Number.isFinite(v)) parts.push(`<text x="${f(sx(i))}" y="${bottom - 4}" text-anchor="middle" font-size="10" fill="${color}">×</text>`);
    });
    if (n === 1 && Number.isFinite(s.values[0])) {
      parts.push(`<text x="${f(sx(0) + 8)}" y="${f(sy(s.values[0]) - 6)}" font-size="11" fill="${color}">${Number(s.values[0].toPrecision(4))}</text>`);
    }
  });
  const legendTop = bottom + X_LABEL + 10;
  const hasGaps = p.series.some((s) => s.values.some((v) => !Number.isFinite(v)));
  for (const { label, k, x, row } of legendRows([...p.series.map((s) => s.label), ...(hasGaps ? ['× no value (NaN)'] : [])])) {
    const lx = x0 + PLOT.l + x, ly = legendTop + row * LEGEND_ROW;
    const color = k < p.series.length ? COLORS[k % COLORS.length] : '#555';
    if (k < p.series.length) {
      parts.push(`<line x1="${lx}" x2="${lx + 22}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
      parts.push(`<circle cx="${lx + 11}" cy="${ly}" r="2.5" fill="${color}"/>`);
    }
    parts.push(`<text x="${lx + (k < p.series.length ? 28 : 0)}" y="${ly + 4}" font-size="12" fill="${color}">${esc(label)}</text>`);
  }
  return parts.join('\n');
}

/**
 * An SVG document with one panel per metric, side by side, on a white background. Each panel
 * has its title, a y axis labelled with `yLabel` (or the title), epochs on the x axis, and its
 * legend below the plot, so it never covers a curve. A non-finite value leaves a gap marked ×.
 *
 * @example
 * ```ts
 * const svg = training.curvesSvg([
 *   { title: 'loss', series: [{ label: 'train', values: [0.9, 0.5, 0.4] }, { label: 'test', values: [1, 0.7, NaN] }] },
 * ], 'softmax regression');
 * writeFileSync('curves.svg', svg);
 * ```
 */
export function curvesSvg(panels: Panel[], title = ''): string {
  const width = W * Math.max(panels.length, 1);
  const rows = Math.max(1, ...panels.map((p) => legendRows(p.series.map((s) => s.label).concat('× no value (NaN)')).reduce((m, e) => Math.max(m, e.row + 1), 0)));
  const panelH = PLOT.t + PLOT.h + X_LABEL + 10 + rows * LEGEND_ROW;
  const height = panelH + (title ? 24 : 0);
  const body = panels.map((p, i) => panelSvg(p, i * W)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">
<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>
${body}
${title ? `<text x="${width / 2}" y="${panelH + 16}" text-anchor="middle" font-size="13">${esc(title)}</text>` : ''}
</svg>
`;
}
