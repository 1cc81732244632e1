/** Training utilities: minibatches, progress bar, fit, checkpoints, curves. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { T, fn, shared, array, NDArray, random, training, updates, io } from 'theanode';

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
