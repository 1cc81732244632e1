/** T.signal, like theano.tensor.signal: pooling over the last two axes. */
import { TensorLike, asVariable } from '../graph/as_variable.js';
import { pool2d as pool2dOp, Pool2dOptions } from '../ops/pool.js';

/** Theano's pool_2d: `ws` window, `stride` (default ws), `pad`, `ignoreBorder` (default true), `mode` (default 'max'). */
export const pool2d = (input: TensorLike, opts: Pool2dOptions) => pool2dOp(asVariable(input, 'pool2d input'), opts);
export type { Pool2dOptions, PoolMode } from '../ops/pool.js';
