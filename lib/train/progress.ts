/** A terminal progress bar with loss and rate; silent when the stream is not a TTY. */
import type { Writable } from 'node:stream';

/** Options of a {@link ProgressBar}. */
export interface ProgressOptions {
  /** How many steps make the whole bar. */
  total: number;
  label?: string;
  /** Default: process.stderr. */
  stream?: Writable & { isTTY?: boolean; columns?: number };
  /** Force drawing (or silence) regardless of the stream being a TTY. */
  enabled?: boolean;
  /** What is counted, for the rate: e.g. 'batch', 'sample'. */
  unit?: string;
}

/** The widest bar drawn, and the narrowest worth drawing. */
const MAX_BAR = 30, MIN_BAR = 5;

/**
 * A one-line progress bar that redraws in place (carriage return, then clear to the end of the
 * line) and never grows wider than the terminal, so it does not wrap and scroll.
 *
 * @example
 * ```ts
 * const bar = new training.ProgressBar({ total: batches, label: 'epoch 1', unit: 'batch' });
 * for (const [xb, yb] of training.minibatches([X, Y], { batchSize: 128 })) bar.tick(1, { loss: train(xb, yb).item() });
 * bar.finish();
 * ```
 */
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
      this.stream.write(`\r${this.fitted()}\x1b[K`);
    }
  }

  /**
   * The bar as text, e.g. "epoch 1 [#####.....] 50/100 loss 0.4321 1234 batch/s eta 3s".
   * `width` is the bar's width in characters; 0 leaves the bar out.
   */
  line(width = 24): string {
    return this.compose(width, true, Infinity);
  }

  /**
   * The line for a terminal `columns` wide (default: the stream's width, else 80). What gives
   * way, in order: the bar's width, the rate and eta, the bar, then metrics from the last; what is
   * left is cut. One column stays free: writing into the last one makes some terminals wrap.
   */
  fitted(columns = this.stream.columns || 80): string {
    const room = Math.max(columns - 1, 1);
    const barRoom = (withRate: boolean) => Math.min(MAX_BAR, room - this.compose(0, withRate, Infinity).length - 3);
    if (barRoom(true) >= MIN_BAR) return this.compose(barRoom(true), true, Infinity);
    if (barRoom(false) >= MIN_BAR) return this.compose(barRoom(false), false, Infinity);
    for (let m = Object.keys(this.metrics).length; m >= 0; m--) {
      const text = this.compose(0, false, m);
      if (text.length <= room) return text;
    }
    return this.compose(0, false, 0).slice(0, room);
  }

  private compose(barWidth: number, withRate: boolean, nMetrics: number): string {
    const { total, label } = this.opts;
    const frac = total > 0 ? this.done / total : 1;
    const filled = Math.round(frac * barWidth);
    const bar = barWidth > 0 ? `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ` : '';
    const metrics = Object.entries(this.metrics).slice(0, nMetrics).map(([k, v]) => `${k} ${formatMetric(v)}`);
    return [label, `${bar}${this.done}/${total}`, ...metrics, withRate ? this.rateText() : ''].filter(Boolean).join(' ');
  }

  /** Finish the line (a newline on a TTY). */
  finish(): void {
    if (this.enabled) this.stream.write(`\r${this.fitted()}\x1b[K\n`);
  }

  private rateText(): string {
    const { total, unit = 'it' } = this.opts;
    const secs = (performance.now() - this.start) / 1000;
    const rate = secs > 0 ? this.done / secs : 0;
    const eta = rate > 0 ? (total - this.done) / rate : 0;
    return `${rate.toFixed(rate < 10 ? 1 : 0)} ${unit}/s eta ${eta.toFixed(0)}s`;
  }
}

function formatMetric(v: number): string {
  return Math.abs(v) >= 1000 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4);
}
