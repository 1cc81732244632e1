/** Training utilities: minibatches, progress bar, fit, checkpoints, curves. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { T, fn, shared, array, NDArray, random, training, updates, io, setBlasThreads, backendInfo } from 'theanode';
import { nativeRowGather, nativeStatus } from '../../lib/backend/native/index.js';
import { gatherRowsJs } from '../../lib/train/minibatches.js';

const rows = (a: NDArray) => a.toArray() as number[][];

describe('minibatches', () => {
  const x = array([[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]);
  const y = array([0, 1, 2, 3, 4]);

  it('keeps order without shuffling, with a smaller last batch unless dropLast', () => {
    const b = [...training.minibatches([x, y], { batchSize: 2 })];
    expect(b.map(([, yy]) => Array.from(yy.data))).toEqual([[0, 1], [2, 3], [4]]);
    expect(rows(b[2][0])).toEqual([[8, 9]]);
    expect([...training.minibatches([x, y], { batchSize: 2, dropLast: true })]).toHaveLength(2);
    expect(training.batchCount(5, 2)).toBe(3);
    expect(training.batchCount(5, 2, true)).toBe(2);
  });

  it('shuffles rows together, with numpy permutation order from a RandomState', () => {
    const perm = Array.from(new random.RandomState(4).permutation(5).data);
    const b = [...training.minibatches([x, y], { batchSize: 5, shuffle: new random.RandomState(4) })];
    expect(Array.from(b[0][1].data)).toEqual(perm);
    expect(rows(b[0][0])).toEqual(perm.map((i) => [2 * i, 2 * i + 1]));
  });

  it('reuses its arrays when asked', () => {
    const seen: Float64Array[] = [];
    for (const [bx] of training.minibatches([x.astype('float64')], { batchSize: 2, reuse: true })) seen.push(bx.data as Float64Array);
    expect(seen[0]).toBe(seen[1]);
    expect(seen[2]).not.toBe(seen[1]);
  });

  it('checks its arguments', () => {
    expect(() => [...training.minibatches([x, array([1, 2])], { batchSize: 2 })]).toThrow(/array 1 has shape \(2,\), expected 5 rows/);
    expect(() => [...training.minibatches([x], { batchSize: 0 })]).toThrow(/positive integer/);
  });
});

describe('the gather of shuffled rows', () => {
  // Rows of `row` elements whose values differ from row to row (modulo 251, so that uint8 holds them).
  const source = <A extends Float32Array | Float64Array | Int32Array | Uint8Array>(make: (n: number) => A, rows: number, row: number) => {
    const a = make(rows * row);
    for (let i = 0; i < a.length; i++) a[i] = (i * 7) % 251;
    return a;
  };
  const expected = (src: ArrayLike<number>, row: number, order: ArrayLike<number>, start: number, end: number) =>
    Array.from({ length: (end - start) * row }, (_, k) => src[order[start + Math.floor(k / row)] * row + (k % row)]);

  it('copies the ordered rows in TypeScript, and refuses an index outside the rows', () => {
    const src = source((n) => new Float64Array(n), 6, 3), order = Int32Array.of(5, 0, 3, 3, 1);
    const out = new Float64Array(9);
    gatherRowsJs(src, 3, order, 1, 4, out);
    expect(Array.from(out)).toEqual(expected(src, 3, order, 1, 4));
    expect(() => gatherRowsJs(src, 3, [0, 6], 0, 2, new Float64Array(6))).toThrow(/order\[1\] is 6, expected a row in \[0, 6\)/);
  });

  describe.runIf(nativeStatus().available)('on the addon', () => {
    const gather = nativeRowGather()!;
    const threads = backendInfo().blasThreads ?? 1;

    it('gives the TypeScript rows for every element type, on one thread and on two', () => {
      const rng = new random.RandomState(3);
      const cases: [string, (n: number) => Float32Array | Float64Array | Int32Array | Uint8Array][] = [
        ['float32', (n) => new Float32Array(n)], ['float64', (n) => new Float64Array(n)], ['int32', (n) => new Int32Array(n)], ['uint8', (n) => new Uint8Array(n)],
      ];
      try {
        for (const t of [1, 2]) {
          setBlasThreads(t);
          // 300 rows of 784: enough to be cut into parts on two threads; rows of 1 and 5 too.
          for (const [rows, row] of [[1000, 784], [50, 1], [9, 5]]) {
            const order = rng.permutation(rows).data as Int32Array;
            const count = Math.min(300, rows);
            for (const [name, make] of cases) {
              const src = source(make, rows, row), want = make(count * row), got = make(count * row);
              gatherRowsJs(src, row, order, 0, count, want);
              gather(src, row, order, 0, count, got);
              expect(Array.from(got), `${name}, ${rows}x${row}, ${t} threads`).toEqual(Array.from(want));
            }
          }
        }
      } finally {
        setBlasThreads(threads);
      }
    });

    it('reads a view at its offset, and copies nothing for no rows or empty rows', () => {
      const whole = source((n) => new Float32Array(n), 10, 4), view = whole.subarray(8);  // rows 2..9
      const out = new Float32Array(8);
      gather(view, 4, Int32Array.of(7, 0), 0, 2, out);
      expect(Array.from(out)).toEqual([...whole.subarray(36, 40), ...whole.subarray(8, 12)]);
      const untouched = Float32Array.of(1, 2);
      gather(view, 4, Int32Array.of(7, 0), 1, 1, new Float32Array(0));
      gather(new Float32Array(0), 0, Int32Array.of(3, 1), 0, 2, new Float32Array(0));
      expect(Array.from(untouched)).toEqual([1, 2]);
    });

    it('checks its arguments before writing anything', () => {
      const src = source((n) => new Float32Array(n), 4, 2);
      const out = Float32Array.of(9, 9, 9, 9);
      expect(() => gather(src, 2, Int32Array.of(1, 4), 0, 2, out)).toThrow(/order\[1\] is 4, expected a row of src in \[0, 4\)/);
      expect(() => gather(src, 2, Int32Array.of(-1, 0), 0, 2, out)).toThrow(/order\[0\] is -1/);
      expect(Array.from(out)).toEqual([9, 9, 9, 9]);
      expect(() => gather(src, 2, Int32Array.of(0, 1), 0, 2, new Float64Array(4))).toThrow(/one element type/);
      expect(() => gather(src, 2, Float64Array.of(0, 1) as unknown as Int32Array, 0, 2, out)).toThrow(/Int32Array/);
      expect(() => gather(src, 2, Int32Array.of(0, 1), 0, 3, out)).toThrow(/start <= end <= order.length \(2\)/);
      expect(() => gather(src, 2, Int32Array.of(0, 1), 1, 0, out)).toThrow(/start <= end/);
      expect(() => gather(src, 1.5, Int32Array.of(0, 1), 0, 2, out)).toThrow(/whole numbers/);
      expect(() => gather(src, 2, Int32Array.of(0, 1), 0, 1, out)).toThrow(/dst has 4 elements, expected 1 rows of 2/);
      expect(() => (gather as unknown as (...a: unknown[]) => void)(src, 2, Int32Array.of(0))).toThrow(/expected \(src: TypedArray/);
    });

    it('makes the same shuffled minibatches as TypeScript', () => {
      const x = new NDArray(source((n) => new Float32Array(n), 500, 12), [500, 3, 4], 'float32');
      const y = new NDArray(source((n) => new Int32Array(n), 500, 1), [500], 'int32');
      const order = new random.RandomState(8).permutation(500).data as Int32Array;
      const batches: number[][][] = [];
      for (const b of training.minibatches([x, y], { batchSize: 128, shuffle: new random.RandomState(8), reuse: true })) batches.push(b.map((a) => Array.from(a.data)));
      expect(batches).toHaveLength(4);
      batches.forEach(([bx, by], i) => {
        const end = Math.min(500, 128 * (i + 1));
        expect(bx).toEqual(expected(x.data, 12, order, 128 * i, end));
        expect(by).toEqual(expected(y.data, 1, order, 128 * i, end));
      });
    });
  });
});

describe('ProgressBar', () => {
  it('draws bar, metrics and rate on a TTY and stays silent otherwise', () => {
    let text = '';
    const stream = Object.assign(new Writable({ write: (c, _e, cb) => ((text += c.toString()), cb()) }), { isTTY: true });
    const bar = new training.ProgressBar({ total: 4, label: 'epoch 1', stream, unit: 'batch' });
    bar.tick(2, { loss: 0.5 });
    bar.tick(2, { loss: 0.25 });
    bar.finish();
    expect(text).toMatch(/epoch 1 \[#{30}\] 4\/4 loss 0\.2500 [\d.]+ batch\/s eta 0s/);
    let quiet = '';
    const pipe = new Writable({ write: (c, _e, cb) => ((quiet += c.toString()), cb()) });
    const silent = new training.ProgressBar({ total: 2, stream: pipe });
    silent.tick(2);
    silent.finish();
    expect(quiet).toBe('');
    expect(silent.line(4)).toMatch(/^\[####\] 2\/2/);
  });

  it('fits the terminal width and redraws in place, also when the terminal is resized', () => {
    const writes: { text: string; columns: number }[] = [];
    const stream = Object.assign(new Writable({ write: (c, _e, cb) => (writes.push({ text: c.toString(), columns: stream.columns }), cb()) }), { isTTY: true, columns: 50 });
    const bar = new training.ProgressBar({ total: 3, label: 'epoch 12', stream, unit: 'batch' });
    const visible = (w: string) => w.replace(/^\r/, '').replace(/\x1b\[K\n?$/, '');
    bar.tick(1, { loss: 0.5, acc: 0.75 });
    stream.columns = 30;
    bar.tick(2, { loss: 0.25 });
    stream.columns = 120;
    bar.finish();
    expect(writes.map((w) => w.columns)).toEqual([50, 30, 120]);
    expect(writes.every((w) => w.text.startsWith('\r') && /\x1b\[K\n?$/.test(w.text))).toBe(true);
    expect(writes.map((w) => w.text.endsWith('\n'))).toEqual([false, false, true]);
    const bad = writes.findIndex((w) => visible(w.text).length > w.columns - 1);
    expect(bad, `draw ${bad}: ${JSON.stringify(writes[bad])}`).toBe(-1);
    // 50 columns: a shorter bar and no rate; 30: no bar, and only the first metric; 120: the widest bar.
    expect(visible(writes[0].text)).toMatch(/^epoch 12 \[#{2,}\.+\] 1\/3 loss 0\.5000 acc 0\.7500$/);
    expect(visible(writes[1].text)).toBe('epoch 12 3/3 loss 0.2500');
    expect(visible(writes[2].text)).toMatch(/^epoch 12 \[#{30}\] 3\/3 /);
    expect(bar.fitted(13)).toBe('epoch 12 3/3');
    expect(bar.fitted(6)).toBe('epoch');
  });
});

describe('fit, checkpoints and resuming', () => {
  it('trains, saves, and resumes exactly where it stopped', () => {
    const rng = new random.RandomState(0);
    const X = rng.randn(64, 3) as NDArray;
    const Y = array(Array.from({ length: 64 }, (_, i) => X.data[3 * i] * 2 - X.data[3 * i + 1] + 0.5));
    const build = () => {
      const w = shared([0, 0, 0], 'w');
      const b = shared(0, 'b');
      const x = T.matrix('x'), y = T.vector('y');
      const loss = x.dot(w).add(b).sub(y).sqr().mean();
      const step = fn([x, y], loss, { updates: updates.momentum(loss, [w, b], { learningRate: 0.05 }) });
      return { w, b, step };
    };
    // One run of 6 epochs...
    const a = build();
    const ha = training.fit({ step: a.step, data: [X, Y], epochs: 6, batchSize: 16, shuffle: new random.RandomState(1), progress: false });
    expect(ha).toHaveLength(6);
    expect(ha[5].loss).toBeLessThan(ha[0].loss / 4);
    // ...equals 3 epochs, a checkpoint, and 3 more from the file (with the optimizer's state saved too).
    const dir = mkdtempSync(join(tmpdir(), 'theanode-fit-'));
    const b = build();
    const rs = new random.RandomState(1);
    const velocity = b.step.program.sharedVariables.filter((s) => s.name?.includes('velocity'));
    const params = [b.w, b.b, ...velocity];
    training.fit({ step: b.step, data: [X, Y], epochs: 3, batchSize: 16, shuffle: rs, progress: false });
    training.saveParams(join(dir, 'm.npz'), params, { epoch: array(3, { dtype: 'int32' }) });
    const c = build();
    const cVelocity = c.step.program.sharedVariables.filter((s) => s.name?.includes('velocity'));
    const extra = training.loadParams(join(dir, 'm.npz'), [c.w, c.b, ...cVelocity]);
    expect(extra.epoch.item()).toBe(3);
    const hc = training.fit({ step: c.step, data: [X, Y], epochs: 3, batchSize: 16, shuffle: rs, progress: false, initialEpoch: 4 });
    expect(hc.map((r) => r.epoch)).toEqual([4, 5, 6]);
    expect(Array.from(c.w.getValue().data)).toEqual(Array.from(a.w.getValue().data));
    expect(hc[2].loss).toBe(ha[5].loss);
    // The file is a numpy archive.
    expect(Object.keys(io.loadNpz(join(dir, 'm.npz'))).sort()).toEqual(['b', 'epoch', 'w', 'w.velocity', 'b.velocity'].sort());
  });

  it('loadParams checks everything before changing anything', () => {
    const dir = mkdtempSync(join(tmpdir(), 'theanode-ckpt-'));
    const w = shared([1, 2], 'w');
    const v = shared([[1, 2]], 'v');
    training.saveParams(join(dir, 'a.npz'), { w, v: shared([3, 4], 'v') });
    expect(() => training.loadParams(join(dir, 'a.npz'), { w, v })).toThrow(/expected a float64 matrix, got a 1-d array/);
    expect(Array.from(w.getValue().data)).toEqual([1, 2]);
    expect(() => training.loadParams(join(dir, 'a.npz'), { w, u: v })).toThrow(/has no array named u/);
    expect(() => training.saveParams(join(dir, 'b.npz'), [shared(1)])).toThrow(/has no name/);
  });
});
