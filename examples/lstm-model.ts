/**
 * An LSTM classifier for 28x28 images read as 28 rows of 28 pixels (a sequence of 28 steps):
 * 128 hidden units, a softmax layer on the last hidden state, cross-entropy, Adam, float32.
 * Shared by examples/lstm.ts and the benchmark.
 *
 * The loop is a real `scan` over the rows. The input's share of the four gates (x_t · W + b)
 * does not depend on the state, so it is one big product over all rows before the loop; each
 * step adds h · U for the four gates at once (one (batch, 128) x (128, 512) product) and does
 * the gate arithmetic. Gates are ordered as PyTorch's nn.LSTM orders them: input, forget,
 * cell, output. Initialisation as PyTorch's, every weight and bias uniform in +-1/sqrt(128),
 * except the forget gate's bias, which starts at 1.
 *
 * Pixels are standardised first, by the training set's mean and standard deviation (0.2860 and
 * 0.3530 over all its pixels), so that the gates' inputs are centred on zero. With the forget
 * bias, this lifts the 10-epoch test accuracy on both sides (README).
 */
import { T, shared, fn, scan, updates, random, NDArray } from 'theanode';
import type { SharedVariable, CompiledFunction, Variable } from 'theanode';

export const ROWS = 28;
export const PIXELS = 28;
/** Fashion-MNIST's training pixels (in [0, 1]): their mean and standard deviation. */
export const PIXEL_MEAN = 0.2860;
export const PIXEL_STD = 0.3530;

export interface Lstm {
  params: SharedVariable[];
  /** One Adam step on a batch (images as rows of 784 floats, int32 labels); returns the mean loss. */
  step: CompiledFunction<NDArray>;
  /** Predicted classes of a batch of images. */
  predict: CompiledFunction<NDArray>;
}

export interface LstmOptions {
  hidden?: number;
  learningRate?: number;
  backend?: 'auto' | 'native' | 'js';
}

export function buildLstm(rng: random.RandomState, opts: LstmOptions = {}): Lstm {
  const H = opts.hidden ?? 128;
  const f32 = { dtype: 'float32' as const };
  const bound = 1 / Math.sqrt(H);
  const uniform = (shape: number[], name: string) => shared(rng.uniform(-bound, bound, shape) as NDArray, name, f32);
  // PyTorch's layouts and parameters: weight_ih (4H, 28), weight_hh (4H, H), and two biases,
  // bias_ih and bias_hh (Adam steps each, so together they move twice as far as one would).
  const W = uniform([4 * H, PIXELS], 'lstm.W');
  const U = uniform([4 * H, H], 'lstm.U');
  // The forget gate's bias starts at 1 (0.5 in each of the two biases), so that the cell keeps
  // its state at first and gradients reach the early rows.
  const bias = (name: string) => {
    const b = rng.uniform(-bound, bound, [4 * H]) as NDArray;
    b.data.fill(0.5, H, 2 * H);
    return shared(b, name, f32);
  };
  const bIh = bias('lstm.bIh');
  const bHh = bias('lstm.bHh');
  const Wo = uniform([H, 10], 'out.w');
  const bo = uniform([10], 'out.b');
  const params = [W, U, bIh, bHh, Wo, bo];

  const x = T.matrix('x', 'float32');
  const y = T.ivector('y');
  // The state is kept transposed, (H, batch), so that each gate is a block of contiguous rows
  // of the step's (4H, batch) pre-activations (a view, not a copy).
  const batch = x.shape.get(0);
  const standardised = x.sub(PIXEL_MEAN).div(PIXEL_STD);
  const pixelsByStep = standardised.reshape([-1, ROWS, PIXELS]).dimshuffle(2, 1, 0).reshape([PIXELS, -1]);
  const projected = W.dot(pixelsByStep).add(bIh.add(bHh).dimshuffle(0, 'x')).reshape([4 * H, ROWS, batch]).dimshuffle(1, 0, 2);
  const gate = (z: Variable, k: number) => z.get(T.slice(k * H, (k + 1) * H));
  const lstmStep = (px: Variable, h: Variable, c: Variable, u: Variable) => {
    const z = px.add(u.dot(h));
    const c1 = T.nnet.sigmoid(gate(z, 1)).mul(c).add(T.nnet.sigmoid(gate(z, 0)).mul(T.tanh(gate(z, 2))));
    const h1 = T.nnet.sigmoid(gate(z, 3)).mul(T.tanh(c1));
    return [h1, c1];
  };
  const zeros = T.zeros([H, batch], 'float32');
  const [outs] = scan(lstmStep, { sequences: projected, outputsInfo: [zeros, zeros], nonSequences: U, name: 'lstm' });
  const last = (outs as Variable[])[0].get(-1).T;
  const probs = T.nnet.softmax(last.dot(Wo).add(bo));
  const loss = T.nnet.categoricalCrossentropy(probs, y).mean();
  const backend = opts.backend ?? 'auto';
  const step = fn([x, y], loss, { updates: updates.adam(loss, params, { learningRate: opts.learningRate ?? 1e-3 }), name: 'lstm.step', backend });
  const predict = fn([x], probs.argmax(1), { name: 'lstm.predict', backend });
  return { params, step, predict };
}
