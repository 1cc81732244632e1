/**
 * LeNet as in the DeepLearningTutorials' convolutional_mlp.py: conv 5x5 x20 -> max-pool 2x2 ->
 * tanh -> conv 5x5 x50 -> max-pool 2x2 -> tanh -> dense 500 tanh -> softmax, trained by SGD on
 * 28x28 images (rows of 784 pixels), float32. Shared by examples/lenet.ts and the benchmark.
 *
 * Initialisation as in the tutorial: filters and the hidden layer uniform in +-sqrt(6 / (fanIn +
 * fanOut)) (a conv layer's fanOut counts the pooling), the softmax layer and every bias zero.
 */
import { T, shared, fn, updates, random, NDArray } from 'theanode';
import type { SharedVariable, CompiledFunction } from 'theanode';

export interface Lenet {
  params: SharedVariable[];
  /** One SGD step on a batch (images as rows of 784 floats, int32 labels); returns the mean loss. */
  step: CompiledFunction<NDArray>;
  /** Predicted classes of a batch of images. */
  predict: CompiledFunction<NDArray>;
}

export function buildLenet(rng: random.RandomState, opts: { learningRate?: number; backend?: 'auto' | 'native' | 'js' } = {}): Lenet {
  const f32 = { dtype: 'float32' as const };
  const uniform = (bound: number, shape: number[], name: string) => shared(rng.uniform(-bound, bound, shape) as NDArray, name, f32);
  const zeros = (shape: number[], name: string) => shared(new NDArray(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape), name, f32);
  const convLayer = (out: number, inp: number, name: string): [SharedVariable, SharedVariable] => {
    const fanIn = inp * 25;
    const fanOut = (out * 25) / 4;
    return [uniform(Math.sqrt(6 / (fanIn + fanOut)), [out, inp, 5, 5], `${name}.w`), zeros([out], `${name}.b`)];
  };
  const [w1, b1] = convLayer(20, 1, 'conv1');
  const [w2, b2] = convLayer(50, 20, 'conv2');
  const w3 = uniform(Math.sqrt(6 / (800 + 500)), [800, 500], 'hidden.w');
  const b3 = zeros([500], 'hidden.b');
  const w4 = zeros([500, 10], 'out.w');
  const b4 = zeros([10], 'out.b');
  const params = [w1, b1, w2, b2, w3, b3, w4, b4];

  const x = T.matrix('x', 'float32');
  const y = T.ivector('y');
  const perChannel = (b: SharedVariable) => b.dimshuffle('x', 0, 'x', 'x');
  const images = x.reshape([-1, 1, 28, 28]);
  const h1 = T.tanh(T.signal.pool2d(T.nnet.conv2d(images, w1), { ws: [2, 2] }).add(perChannel(b1)));
  const h2 = T.tanh(T.signal.pool2d(T.nnet.conv2d(h1, w2), { ws: [2, 2] }).add(perChannel(b2)));
  const h3 = T.tanh(h2.flatten(2).dot(w3).add(b3));
  const probs = T.nnet.softmax(h3.dot(w4).add(b4));
  const loss = T.nnet.categoricalCrossentropy(probs, y).mean();
  const backend = opts.backend ?? 'auto';
  const step = fn([x, y], loss, { updates: updates.sgd(loss, params, { learningRate: opts.learningRate ?? 0.1 }), name: 'lenet.step', backend });
  const predict = fn([x], probs.argmax(1), { name: 'lenet.predict', backend });
  return { params, step, predict };
}
