/** Bounds on the work a load may do: small corrupt files must not become gigabytes in memory. */
import { statSync } from 'node:fs';

export interface LoadOptions {
  /**
   * The most bytes a load may produce: decompressed data plus the arrays' storage, summed over
   * the whole file (and the file's own size). Default 4 GiB.
   */
  maxBytes?: number;
}

export const DEFAULT_MAX_BYTES = 4 * 2 ** 30;

/** A running total of bytes produced by one load, refusing to pass its limit. */
export class ByteBudget {
  private used = 0;
  readonly limit: number;

  constructor(readonly where: string, opts: LoadOptions = {}) {
    const m = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    if (typeof m !== 'number' || !(m >= 0)) throw new RangeError(`${where}: maxBytes must be a non-negative number, got ${String(m)}`);
    this.limit = m;
  }

  /** Count `bytes` more, or throw naming `what` before anything that large is allocated. */
  take(bytes: number, what: string): void {
    if (!Number.isFinite(bytes) || this.used + bytes > this.limit) {
      throw new RangeError(`${this.where}: ${what} needs ${bytes} bytes, more than the load's limit of ${this.limit} (maxBytes)`);
    }
    this.used += bytes;
  }
}

/** Refuse a file larger than the budget before reading it. */
export function checkFileSize(path: string, budget: ByteBudget): void {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return; // reading the file reports the reason
  }
  budget.take(size, 'the file');
}
