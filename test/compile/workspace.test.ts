/**
 * Workspaces in the plan's arena: a kernel's scratch (conv2d's column matrices) is placed like a
 * temporary live only at its instruction, so it shares space with temporaries that are dead
 * there, never with one that is live, and both backends compute what they computed with scratch
 * of their own.
 */
import { describe, expect, it } from 'vitest';
import { T, fn, grad, shared, NDArray, random } from 'theanode';
import type { Plan, Program } from '../../lib/compile/program.js';
import { nativeStatus } from '../../lib/backend/native/index.js';
import { bytesPer } from '../../lib/ndarray/dtype.js';
import { sizeOf } from '../../lib/ndarray/shape.js';

const backends = nativeStatus().available ? (['js', 'native'] as const) : (['js'] as const);

/** Two convolutions in a row and the filter gradients: several instructions with workspaces. */
function twoConvs(backend: 'js' | 'native' | 'debug') {
  const rng = new random.RandomState(4);
  const w1 = shared(rng.randn(3, 2, 3, 3) as NDArray, 'w1');
  const w2 = shared(rng.randn(2, 3, 2, 2) as NDArray, 'w2');
  const x = T.tensor4('x');
  const h = T.tanh(T.nnet.conv2d(x, w1));
  const cost = T.nnet.conv2d(h, w2, { borderMode: 'half' }).sqr().sum();
  return fn([x], [cost, ...grad(cost, [w1, w2])], { backend });
}

interface Interval {
  dtype: string;
  lo: number;
  hi: number;
  from: number;
  to: number;
  what: string;
}

/** Every temp's and workspace's element range and the instructions over which it is live. */
function intervals(p: Program, plan: Plan): Interval[] {
  const root = (b: number) => (plan.alias[b] >= 0 ? plan.alias[b] : b);
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  p.instructions.forEach((ins, k) => {
    ins.outputs.forEach((b) => first.has(root(b)) || first.set(root(b), k));
    [...ins.inputs, ...ins.outputs].forEach((b) => last.set(root(b), k));
  });
  const end = p.instructions.length;
  [...p.outputs, ...p.updates.map((u) => u.buffer)].forEach((b) => last.set(root(b), end));
  const out: Interval[] = [];
  p.buffers.forEach((spec, b) => {
    if (spec.kind !== 'temp' || plan.alias[b] >= 0 || !first.has(b)) return;
    out.push({ dtype: spec.dtype, lo: plan.offsets[b], hi: plan.offsets[b] + sizeOf(plan.shapes[b]), from: first.get(b)!, to: last.get(b)!, what: `buffer ${b}` });
  });
  plan.workspace.forEach((ws, k) => ws?.forEach((w, i) => out.push({ dtype: w.dtype, lo: w.offset, hi: w.offset + w.elements, from: k, to: k, what: `workspace ${i} of instruction ${k}` })));
  return out;
}

describe('workspaces in the arena', () => {
  it('each conv instruction gets its column matrices, inside the arena of its dtype', () => {
    const f = twoConvs('js');
    f(new random.RandomState(1).randn(2, 2, 6, 5) as NDArray);
    const plan = f.lastPlan!;
    const convs = f.program.instructions.map((ins, k) => [ins.opcode, k] as const).filter(([op]) => op.startsWith('conv2d'));
    expect(convs.length).toBeGreaterThanOrEqual(4);
    for (const [, k] of convs) {
      const d = plan.decisions[k] as unknown as { parts: number; colRows: number; colCols: number; outChannels: number; direct: boolean; group?: number; spans?: number };
      expect(plan.workspace[k]).toHaveLength(1);
      const [w] = plan.workspace[k]!;
      expect(w.dtype).toBe('float64');
      // The filter gradient's: per part, a group's columns and output gradients; then a partial result per span.
      const gradWeights = f.program.instructions[k].opcode === 'conv2d_grad_weights';
      const want = gradWeights ? d.parts * (d.colRows + d.outChannels) * d.group! * d.colCols + d.spans! * d.outChannels * d.colRows : d.parts * d.colRows * d.colCols;
      expect(w.elements).toBe(want);
      expect(w.offset + w.elements).toBeLessThanOrEqual(plan.arena.float64);
    }
    // Instructions without scratch have none.
    f.program.instructions.forEach((ins, k) => ins.opcode.startsWith('conv2d') || expect(plan.workspace[k]).toBeNull());
  });

  it('a workspace overlaps no temporary live at its instruction, and shares space with dead ones', () => {
    const f = twoConvs('js');
    f(new random.RandomState(1).randn(2, 2, 6, 5) as NDArray);
    const plan = f.lastPlan!;
    const all = intervals(f.program, plan);
    let shared = 0;
    for (const a of all.filter((i) => i.what.startsWith('workspace'))) {
      for (const b of all) {
        if (a === b || a.dtype !== b.dtype || a.hi <= b.lo || b.hi <= a.lo) continue;
        // Overlapping storage: the two must never be live at the same instruction.
        expect(b.to < a.from || b.from > a.to, `${a.what} overlaps ${b.what}`).toBe(true);
        shared++;
      }
    }
    expect(shared).toBeGreaterThan(0);
    // So the arena is smaller than every temp and workspace side by side.
    const sideBySide = all.reduce((s, i) => s + (i.hi - i.lo) * bytesPer(i.dtype as 'float64'), 0);
    expect(plan.tempBytes).toBeLessThan(sideBySide);
  });

  for (const backend of backends) {
    it(`${backend}: results with shared workspaces equal those of each convolution alone`, () => {
      const x = new random.RandomState(1).randn(2, 2, 6, 5) as NDArray;
      const together = twoConvs(backend)(x);
      // The same products, one function each: no workspace shares space with another value.
      const rng = new random.RandomState(4);
      const w1 = rng.randn(3, 2, 3, 3) as NDArray;
      const w2 = rng.randn(2, 3, 2, 2) as NDArray;
      const xs = T.tensor4('x'), a = T.tensor4('a'), b = T.tensor4('b');
      const h = fn([xs, a], T.tanh(T.nnet.conv2d(xs, a)), { backend })(x, w1);
      const hv = T.tensor4('h');
      const z = T.nnet.conv2d(hv, b, { borderMode: 'half' });
      const cost = fn([hv, b], z.sqr().sum(), { backend })(h, w2);
      expect(together[0].data[0]).toBe(cost.data[0]);
      const g2 = fn([hv, b], grad(z.sqr().sum(), b), { backend })(h, w2);
      expect(Array.from(together[2].data)).toEqual(Array.from(g2.data));
      // The js backend is the reference: the other agrees within the documented tolerance.
      const ref = twoConvs('js')(x);
      together.forEach((t, i) => t.data.forEach((v, j) => expect(Math.abs(v - ref[i].data[j])).toBeLessThanOrEqual(1e-10 * (1 + Math.abs(ref[i].data[j])))));
    });
  }

  for (const backend of backends) {
    it(`${backend}: an async call (js: on a worker thread, its own arena) gives the same bits`, async () => {
      const f = twoConvs(backend);
      const x = new random.RandomState(3).randn(2, 2, 6, 5) as NDArray;
      const sync = f(x);
      const later = await f.async(x);
      later.forEach((r, i) => expect(Array.from(r.data)).toEqual(Array.from(sync[i].data)));
    });
  }

  it('the debug backend runs both with their workspaces and finds no difference', () => {
    const f = twoConvs('debug');
    expect(() => f(new random.RandomState(2).randn(3, 2, 5, 5) as NDArray)).not.toThrow();
  });
});

/** Max and average pooling with their gradients: every pool2d kernel that declares scratch. */
function pools(backend: 'js' | 'native' | 'debug') {
  const x = T.tensor4('x');
  const w = shared(new random.RandomState(6).randn(3) as NDArray, 'w');
  const h = T.signal.pool2d(x.mul(w.dimshuffle(0, 'x', 'x')), { ws: [2, 2] }).sqr();
  const cost = T.signal.pool2d(h, { ws: [2, 3], stride: [1, 1], mode: 'average_exc_pad' }).sqr().sum();
  return fn([x], [cost, ...grad(cost, [x, w])], { backend });
}

describe('pool2d workspaces in the arena', () => {
  it('each pool instruction gets the float64 scratch its kernels declare, inside the arena', () => {
    const f = pools('js');
    f(new random.RandomState(1).randn(2, 3, 9, 9) as NDArray);
    const plan = f.lastPlan!;
    const seen = new Set<string>();
    f.program.instructions.forEach((ins, k) => {
      if (!ins.opcode.startsWith('pool2d')) return;
      const d = plan.decisions[k] as unknown as { parts: number; planes: number; rows: number; cols: number; outCols: number };
      expect(d.parts).toBe(Math.min(8, d.planes));
      const rows = { dtype: 'float64', elements: d.parts * d.outCols };
      const plane = { dtype: 'float64', elements: d.rows * d.cols };
      const want = {
        pool2d: ins.attrs.mode === 'max' ? [] : [rows],
        pool2d_max_grad: [plane],
        pool2d_sum_grad: [rows, plane],
        pool2d_max_grad_grad: [],
      }[ins.opcode]!;
      const got = (plan.workspace[k] ?? []).map((w) => ({ dtype: w.dtype, elements: w.elements }));
      expect(got, `${ins.opcode} ${ins.attrs.mode}`).toEqual(want);
      for (const w of plan.workspace[k] ?? []) expect(w.offset + w.elements).toBeLessThanOrEqual(plan.arena.float64);
      seen.add(`${ins.opcode} ${ins.attrs.mode}`);
    });
    expect([...seen].sort()).toEqual(['pool2d average_exc_pad', 'pool2d max', 'pool2d_max_grad max', 'pool2d_sum_grad average_exc_pad']);
    // No array of the input's size: the largest pool workspace is one 9x9 plane.
    const pooling = f.program.instructions.flatMap((ins, k) => (ins.opcode.startsWith('pool2d') ? (plan.workspace[k] ?? []) : []));
    expect(Math.max(...pooling.map((w) => w.elements))).toBe(9 * 9);
  });

  it('a pool workspace overlaps no temporary live at its instruction', () => {
    const f = pools('js');
    f(new random.RandomState(1).randn(2, 3, 9, 9) as NDArray);
    const all = intervals(f.program, f.lastPlan!);
    for (const a of all.filter((i) => i.what.startsWith('workspace'))) {
      for (const b of all) {
        if (a === b || a.dtype !== b.dtype || a.hi <= b.lo || b.hi <= a.lo) continue;
        expect(b.to < a.from || b.from > a.to, `${a.what} overlaps ${b.what}`).toBe(true);
      }
    }
  });

  it('both backends agree, on a call after one with other shapes (a new plan, new workspaces)', () => {
    const rng = new random.RandomState(5);
    const ref = pools('js');
    for (const backend of backends) {
      const f = pools(backend);
      for (const shape of [[2, 3, 9, 9], [3, 3, 11, 7]]) {
        const x = rng.randn(...shape) as NDArray;
        const want = ref(x);
        f(x).forEach((r, i) => r.data.forEach((v, j) => expect(Math.abs(v - want[i].data[j])).toBeLessThanOrEqual(1e-10 * (1 + Math.abs(want[i].data[j])))));
      }
    }
  });

  it('the debug backend runs both with their workspaces and finds no difference', () => {
    const f = pools('debug');
    expect(() => f(new random.RandomState(2).randn(3, 3, 9, 8) as NDArray)).not.toThrow();
  });
});
