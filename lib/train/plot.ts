/** Training curves as a small self-contained SVG: one panel per metric, epochs on the x axis. */

export interface Series {
  label: string;
  values: number[];
}

export interface Panel {
  title: string;
  series: Series[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
const W = 420, H = 260, PAD = { l: 56, r: 16, t: 32, b: 40 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const step0 = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function panelSvg(p: Panel, x0: number): string {
  const all = p.series.flatMap((s) => s.values).filter(Number.isFinite);
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  const n = Math.max(...p.series.map((s) => s.values.length), 1);
  const sx = (i: number) => x0 + PAD.l + (n === 1 ? 0 : (i / (n - 1)) * (W - PAD.l - PAD.r));
  const sy = (v: number) => PAD.t + (1 - (v - lo) / (hi - lo)) * (H - PAD.t - PAD.b);
  const parts: string[] = [];
  parts.push(`<text x="${x0 + W / 2}" y="18" text-anchor="middle" font-size="14">${esc(p.title)}</text>`);
  parts.push(`<rect x="${x0 + PAD.l}" y="${PAD.t}" width="${W - PAD.l - PAD.r}" height="${H - PAD.t - PAD.b}" fill="none" stroke="#888"/>`);
  for (const t of niceTicks(lo, hi)) {
    parts.push(`<line x1="${x0 + PAD.l}" x2="${x0 + W - PAD.r}" y1="${sy(t)}" y2="${sy(t)}" stroke="#eee"/>`);
    parts.push(`<text x="${x0 + PAD.l - 6}" y="${sy(t) + 4}" text-anchor="end" font-size="11">${t}</text>`);
  }
  for (let i = 0; i < n; i++) parts.push(`<text x="${sx(i)}" y="${H - PAD.b + 16}" text-anchor="middle" font-size="11">${i + 1}</text>`);
  parts.push(`<text x="${x0 + W / 2}" y="${H - 6}" text-anchor="middle" font-size="12">epoch</text>`);
  p.series.forEach((s, k) => {
    const pts = s.values.map((v, i) => (Number.isFinite(v) ? `${sx(i).toFixed(1)},${sy(v).toFixed(1)}` : null)).filter(Boolean);
    const color = COLORS[k % COLORS.length];
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"/>`);
    s.values.forEach((v, i) => Number.isFinite(v) && parts.push(`<circle cx="${sx(i).toFixed(1)}" cy="${sy(v).toFixed(1)}" r="2.5" fill="${color}"/>`));
    parts.push(`<text x="${x0 + W - PAD.r - 4}" y="${PAD.t + 16 + 14 * k}" text-anchor="end" font-size="12" fill="${color}">${esc(s.label)}</text>`);
  });
  return parts.join('\n');
}

/** An SVG document with the panels side by side. */
export function curvesSvg(panels: Panel[], title = ''): string {
  const width = W * panels.length;
  const body = panels.map((p, i) => panelSvg(p, i * W)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H + (title ? 24 : 0)}" font-family="sans-serif">
${title ? `<text x="${width / 2}" y="${H + 18}" text-anchor="middle" font-size="13">${esc(title)}</text>` : ''}
<rect width="100%" height="100%" fill="white" opacity="0"/>
${body}
</svg>
`;
}
