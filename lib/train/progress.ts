/** A terminal progress bar with loss and rate; silent when the stream is not a TTY. */
import type { Writable } from 'node:stream';

export interface ProgressOptions {
  total: number;
  label?: string;
  /** Default: process.stderr. */
  stream?: Writable & { isTTY?: boolean; columns?: number };
  /** Force drawing (or silence) regardless of the stream being a TTY. */
  enabled?: boolean;
  /** What is counted, for the rate: e.g. 'batch', 'sample'. */
  unit?: string;
}

export class ProgressBar {
  private done = 0;
  private readonly start = performance.now();
  private lastDraw = 0;
  private readonly stream: NonNullable<ProgressOptions['stream']>;
  private readonly enabled: boolean;
  private metrics: Record<string, number> = {};

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.enabled = opts.enabled ?? !!this.stream.isTTY;
  }

  /** Advance by n and record the latest metrics (e.g. {loss}). */
  tick(n = 1, metrics: Record<string, number> = {}): void {
    this.done = Math.min(this.opts.total, this.done + n);
    Object.assign(this.metrics, metrics);
    const now = performance.now();
    // Redraw at most ~20 times a second: drawing is slower than a small training step.
    if (this.enabled && (now - this.lastDraw > 50 || this.done === this.opts.total)) {
      this.lastDraw = now;
      this.stream.write(`\r${this.line()}\x1b[K`);
    }
  }

  /** The bar as text, e.g. "epoch 1 [#####.....] 50/100 loss 0.4321 1234 batch/s eta 3s". */
  line(width = 24): string {
    const { total, label, unit = 'it' } = this.opts;
    const frac = total > 0 ? this.done / total : 1;
    const filled = Math.round(frac * width);
    const secs = (performance.now() - this.start) / 1000;
    const rate = secs > 0 ? this.done / secs : 0;
    const eta = rate > 0 ? (total - this.done) / rate : 0;
    const metrics = Object.entries(this.metrics).map(([k, v]) => `${k} ${formatMetric(v)}`).join(' ');
    return `${label ? label + ' ' : ''}[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.done}/${total}${metrics ? ' ' + metrics : ''} ${rate.toFixed(rate < 10 ? 1 : 0)} ${unit}/s eta ${eta.toFixed(0)}s`;
  }

  /** Finish the line (a newline on a TTY). */
  finish(): void {
    if (this.enabled) this.stream.write(`\r${this.line()}\x1b[K\n`);
  }
}

function formatMetric(v: number): string {
  return Math.abs(v) >= 1000 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4);
}
