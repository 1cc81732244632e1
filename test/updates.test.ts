import { describe, expect, it } from 'vitest';
import fixture from './fixtures/updates.json';
import { T, fn, shared, array, updates } from 'theanode';

type Run = { options: Record<string, unknown>; steps: { w: number[]; b: number[]; loss: number }[] };

function problem() {
  const x = T.matrix('x'), y = T.matrix('y');
  const w = shared(array(fixture.W0), 'w');
  const b = shared(array(fixture.B0), 'b');
  const loss = x.dot(w).add(b.dimshuffle('x', 0)).sub(y).sqr().mean();
  return { x, y, w, b, loss };
}

function builder(name: string, o: Record<string, unknown>) {
  const common = { learningRate: o.lr as number, weightDecay: (o.weight_decay as number) ?? 0 };
  if (name.startsWith('sgd')) return (loss: any, ps: any) => updates.sgd(loss, ps, common);
  if (name === 'momentum' || name === 'nesterov') return (loss: any, ps: any) => updates.momentum(loss, ps, { ...common, momentum: o.momentum as number, nesterov: !!o.nesterov });
  if (name.startsWith('adam')) {
    const betas = (o.betas as number[]) ?? [0.9, 0.999];
    return (loss: any, ps: any) => updates.adam(loss, ps, { ...common, beta1: betas[0], beta2: betas[1], epsilon: (o.eps as number) ?? 1e-8 });
  }
  return (loss: any, ps: any) => updates.rmsprop(loss, ps, { ...common, alpha: o.alpha as number, epsilon: o.eps as number });
}

describe('optimizers follow torch.optim step for step', () => {
  for (const [name, run] of Object.entries(fixture.runs as Record<string, Run>)) {
    it(name, () => {
      const { x, y, w, b, loss } = problem();
      const step = fn([x, y], loss, { updates: builder(name, run.options)(loss, [w, b]), backend: 'js' });
      for (const ref of run.steps) {
        const l = step(array(fixture.X), array(fixture.Y));
        expect(l.item()).toBeCloseTo(ref.loss, 12);
        Array.from(w.getValue().data).forEach((v, i) => expect(v).toBeCloseTo(ref.w[i], 12));
        Array.from(b.getValue().data).forEach((v, i) => expect(v).toBeCloseTo(ref.b[i], 12));
      }
    });
  }

  it('accepts gradients instead of a cost, and checks their count', () => {
    const { w, b, loss } = problem();
    expect(() => updates.sgd([loss], [w, b])).toThrow(/1 gradients for 2 parameters/);
    expect(() => updates.sgd(loss, [])).toThrow(/no parameters/);
  });
});
