/**
 * Random expression graphs with concrete shapes: every sub-expression is built for an exact
 * shape (zero-length axes, size-1 broadcast axes and 0-d included), so that the graph is valid
 * by construction and any error or disagreement is the library's.
 */
import { T, NDArray, Variable } from '../../lib/index.js';
import type { DType } from '../../lib/index.js';
import { Rng } from './random.js';

export interface Input {
  v: Variable;
  value: NDArray;
}

export interface Expr {
  v: Variable;
  shape: number[];
  text: string;
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export class GraphGen {
  readonly inputs: Input[] = [];
  /** Whether a non-smooth or discrete op was used (finite differences would be unreliable there). */
  discrete = false;

  constructor(private readonly r: Rng, readonly dtype: 'float64' | 'float32') {}

  randomShape(maxNdim = 3): number[] {
    const nd = this.r.weighted([[2, 0], [3, 1], [3, 2], [2, 3]].filter(([, n]) => n <= maxNdim) as [number, number][]);
    return Array.from({ length: nd }, () => this.r.weighted([[1, 0], [3, 1], [3, 2], [3, 3], [2, 4], [1, 5]] as const));
  }

  private input(shape: number[]): Expr {
    const r = this.r;
    const dtype: DType = r.chance(0.08) ? 'int32' : this.dtype;
    // Size-1 axes are mostly broadcastable; a few stay ordinary (they never meet a longer axis).
    const bc = shape.map((d) => d === 1 && r.chance(0.8));
    const name = `x${this.inputs.length}`;
    const v = T.tensor(dtype, bc, name);
    const n = size(shape);
    const data = dtype === 'int32' ? Int32Array.from({ length: n }, () => r.int(-3, 3)) : Float64Array.from({ length: n }, () => r.normal());
    const value = new NDArray(dtype === 'float32' ? Float32Array.from(data) : data, shape, dtype);
    this.inputs.push({ v, value });
    return { v, shape, text: `${name}${dtype === 'int32' ? ':i' : ''}(${shape.join(',')})` };
  }

  /**
   * An expression that broadcasts to `shape`: some leading axes dropped, some axes of length 1.
   * Those axes are made by dimshuffle('x'), so they are broadcastable in the type, as Theano
   * requires of an axis that is stretched.
   */
  private partner(shape: number[], depth: number): Expr {
    const drop = this.r.chance(0.3) ? this.r.int(0, shape.length) : 0;
    const kept = shape.slice(drop);
    const stretch = kept.map((d) => d !== 1 && this.r.chance(0.25));
    if (!stretch.some(Boolean)) return this.shaped(kept, depth);
    const inner = this.shaped(kept.filter((_, i) => !stretch[i]), depth);
    let k = 0;
    const pattern = stretch.map((st) => (st ? 'x' : k++));
    return { v: T.dimshuffle(inner.v, pattern), shape: kept.map((d, i) => (stretch[i] ? 1 : d)), text: `dimshuffle(${inner.text}, [${pattern}])` };
  }

  /** An expression of exactly `shape`. */
  shaped(shape: number[], depth: number): Expr {
    const r = this.r;
    if (depth <= 0 || r.chance(0.2)) return this.input(shape);
    const kinds: [number, string][] = [[4, 'unary'], [5, 'binary'], [2, 'reduce'], [1, 'switch'], [1, 'clip'], [1, 'transpose'], [1, 'reshape'], [1, 'index']];
    if (shape.length <= 2) kinds.push([2, 'dot']);
    if (shape.length >= 1 && shape.length <= 2) kinds.push([1, 'softmax']);
    if (shape.length >= 1) kinds.push([1, 'concat'], [1, 'slice'], [1, 'take'], [1, 'incsub'], [1, 'stack'], [1, 'logsoftmax']);
    if (shape.length === 2) kinds.push([1, 'outer']);
    kinds.push([1, 'pow'], [1, 'argmax'], [1, 'compare']);
    if (shape.includes(1)) kinds.push([1, 'expand']);
    const kind = r.weighted(kinds);
    const sub = (s: number[]) => this.shaped(s, depth - 1);
    switch (kind) {
      case 'unary': {
        const a = sub(shape);
        const ops: [string, (x: Variable) => Variable, boolean][] = [
          ['neg', (x) => T.neg(x), false],
          ['tanh', (x) => T.tanh(x), false],
          ['sigmoid', (x) => T.sigmoid(x), false],
          ['sqr', (x) => T.sqr(x), false],
          ['exp∘tanh', (x) => T.exp(T.tanh(x)), false],
          ['log(|x|+1)', (x) => T.log(T.add(T.abs(x), 1)), true],
          ['softplus', (x) => T.softplus(x), false],
          ['relu', (x) => T.relu(x), true],
          ['sqrt(x²+1)', (x) => T.sqrt(T.add(T.sqr(x), 1)), false],
          ['abs', (x) => T.abs(x), true],
          ['log1p(x²)', (x) => T.log1p(T.sqr(x)), false],
        ];
        const [name, op, rough] = r.pick(ops);
        if (rough) this.discrete = true;
        return { v: op(a.v), shape, text: `${name}(${a.text})` };
      }
      case 'binary': {
        let a = sub(shape);
        let b = r.chance(0.15) ? null : this.partner(shape, depth - 1);
        if (b && r.chance(0.5)) [a, b] = [b, a];
        const other = b ? b.v : r.pick([0.5, 2, -1.5]);
        const otherText = b ? b.text : String(other);
        const ops: [string, (x: Variable, y: Variable | number) => Variable, boolean][] = [
          ['add', (x, y) => T.add(x, y), false],
          ['sub', (x, y) => T.sub(x, y), false],
          ['mul', (x, y) => T.mul(x, y), false],
          ['div', (x, y) => T.div(x, T.add(T.sqr(y), 1)), false],
          ['maximum', (x, y) => T.maximum(x, y), true],
          ['minimum', (x, y) => T.minimum(x, y), true],
        ];
        const [name, op, rough] = r.pick(ops);
        if (rough) this.discrete = true;
        return { v: op(a.v, other), shape, text: `${name}(${a.text}, ${otherText})` };
      }
      case 'switch': {
        this.discrete = true;
        const a = sub(shape);
        const b = this.partner(shape, depth - 1);
        return { v: T.switch(T.gt(a.v, b.v), a.v, T.mul(b.v, 0.5)), shape, text: `switch(${a.text} > ${b.text})` };
      }
      case 'clip': {
        this.discrete = true;
        const a = sub(shape);
        return { v: T.clip(a.v, -0.7, 0.9), shape, text: `clip(${a.text})` };
      }
      case 'reduce': {
        // Reduce an inserted axis away (or keep it as 1).
        const keep = shape.includes(1) && r.chance(0.4);
        const at = keep ? shape.indexOf(1) : r.int(0, shape.length);
        const len = r.weighted([[1, 0], [2, 1], [4, 3], [2, 5]] as const);
        const src = keep ? [...shape] : [...shape.slice(0, at), len, ...shape.slice(at)];
        if (keep) src[at] = len;
        if (src.length > 4) return this.input(shape);
        const a = sub(src);
        const ops = len > 0 ? ['sum', 'mean', 'max', 'min', 'prod'] : ['sum', 'mean', 'prod'];
        const name = r.pick(ops);
        if (name === 'max' || name === 'min') this.discrete = true;
        const f = { sum: T.sum, mean: T.mean, max: T.max, min: T.min, prod: T.prod }[name as 'sum']!;
        return { v: f(a.v, at, keep), shape, text: `${name}(${a.text}, axis=${at}${keep ? ', keep' : ''})` };
      }
      case 'dot': {
        const k = r.weighted([[1, 0], [2, 1], [4, 3], [2, 6]] as const);
        let a: Expr, b: Expr;
        if (shape.length === 2) [a, b] = [sub([shape[0], k]), sub([k, shape[1]])];
        else if (shape.length === 1) [a, b] = r.chance(0.5) ? [sub([shape[0], k]), sub([k])] : [sub([k]), sub([k, shape[0]])];
        else [a, b] = [sub([k]), sub([k])];
        return { v: T.dot(a.v, b.v), shape, text: `dot(${a.text}, ${b.text})` };
      }
      case 'transpose': {
        const perm = r.shuffle(shape.map((_, i) => i));
        // x has shape[perm[i]] at axis i... choose src so that src.transpose(inv) has `shape`.
        const src = perm.map((p) => shape[p]);
        const inv = perm.map((_, i) => perm.indexOf(i));
        const a = sub(src);
        return { v: T.transpose(a.v, inv), shape, text: `transpose(${a.text}, [${inv}])` };
      }
      case 'expand': {
        const at = shape.indexOf(1);
        const src = shape.filter((_, i) => i !== at);
        const a = sub(src);
        const pattern: (number | 'x')[] = src.map((_, i) => i);
        pattern.splice(at, 0, 'x');
        return { v: T.dimshuffle(a.v, pattern), shape, text: `dimshuffle(${a.text}, [${pattern}])` };
      }
      case 'reshape': {
        const n = size(shape);
        const src = n === 0 ? [0, ...shape.filter((d) => d !== 0).slice(0, 1)] : r.chance(0.5) ? [n] : [...shape].reverse();
        const a = sub(src);
        return { v: T.reshape(a.v, shape), shape, text: `reshape(${a.text}, [${shape}])` };
      }
      case 'index': {
        if (shape.length >= 3) return this.input(shape);
        const n = r.int(1, 4);
        const i = r.int(-n, n - 1);
        const a = sub([n, ...shape]);
        return { v: a.v.get(i), shape, text: `${a.text}[${i}]` };
      }
      case 'slice': {
        const len = shape[0];
        const step = r.pick([1, 1, 2, -1]);
        const n = len + r.int(0, 3) + (step === 2 ? Math.max(0, len - 1) : 0);
        const a = sub([n, ...shape.slice(1)]);
        let start: number, stop: number | null;
        if (step === 1) {
          start = r.int(0, n - len);
          stop = start + len;
        } else if (step === 2) {
          start = r.int(0, n - Math.max(1, 2 * len - 1));
          stop = len === 0 ? start : start + 2 * len - 1;
        } else {
          start = len === 0 ? 0 : r.int(len - 1, n - 1);
          stop = len === 0 ? 0 : start - len;
          if (stop < 0) stop = null;
        }
        return { v: a.v.get(T.slice(start, stop, step)), shape, text: `${a.text}[${start}:${stop ?? ''}:${step}]` };
      }
      case 'take': {
        const n = shape[0] === 0 ? r.int(0, 3) : r.int(1, 4);
        const a = sub([n, ...shape.slice(1)]);
        const idx = Int32Array.from({ length: shape[0] }, () => r.int(-n, n - 1));
        return { v: a.v.get(new NDArray(idx, [idx.length], 'int32')), shape, text: `${a.text}[[${idx}]]` };
      }
      case 'softmax': {
        const a = sub(shape);
        return { v: T.nnet.softmax(a.v), shape, text: `softmax(${a.text})` };
      }
      case 'pow': {
        const a = sub(shape);
        const b = this.partner(shape, depth - 1);
        // A positive base keeps real results; the exponent stays moderate.
        return { v: T.pow(T.add(T.abs(a.v), 0.5), T.tanh(b.v)), shape, text: `pow(|${a.text}|+.5, tanh(${b.text}))` };
      }
      case 'argmax': {
        this.discrete = true;
        const at = r.int(0, shape.length);
        const len = r.int(1, 4);
        const src = [...shape.slice(0, at), len, ...shape.slice(at)];
        if (src.length > 4) return this.input(shape);
        const a = sub(src);
        const name = r.pick(['argmax', 'argmin'] as const);
        const v = (name === 'argmax' ? T.argmax : T.argmin)(a.v, at);
        return { v: T.add(v, 0.25), shape, text: `${name}(${a.text}, axis=${at})+.25` };
      }
      case 'compare': {
        this.discrete = true;
        const a = sub(shape);
        const b = this.partner(shape, depth - 1);
        const name = r.pick(['gt', 'ge', 'lt', 'le', 'eq', 'neq'] as const);
        const c = T[name](a.v, b.v);
        return { v: T.switch(c, 1.5, -0.5), shape, text: `(${a.text} ${name} ${b.text} ? 1.5 : -.5)` };
      }
      case 'incsub': {
        const a = sub(shape);
        const n = shape[0];
        const start = r.int(0, n);
        const stop = r.int(start, n);
        const b = sub([stop - start, ...shape.slice(1)]);
        const set = r.chance(0.5);
        const v = (set ? T.setSubtensor : T.incSubtensor)(a.v, [T.slice(start, stop)], b.v);
        return { v, shape, text: `${set ? 'set' : 'inc'}(${a.text}[${start}:${stop}], ${b.text})` };
      }
      case 'stack': {
        const at = r.int(0, shape.length - 1);
        if (shape[at] > 3) return this.input(shape);
        const inner = shape.filter((_, i) => i !== at);
        const parts = Array.from({ length: shape[at] }, () => sub(inner));
        if (parts.length === 0) return this.input(shape);
        return { v: T.stack(parts.map((p) => p.v), at), shape, text: `stack([${parts.map((p) => p.text)}], ${at})` };
      }
      case 'logsoftmax': {
        const a = sub(shape);
        return { v: T.nnet.logSoftmax(a.v), shape, text: `logSoftmax(${a.text})` };
      }
      case 'outer': {
        const a = sub([shape[0]]);
        const b = sub([shape[1]]);
        return { v: T.outer(a.v, b.v), shape, text: `outer(${a.text}, ${b.text})` };
      }
      case 'concat': {
        const axis = r.int(0, shape.length - 1);
        const cut = r.int(0, shape[axis]);
        const s1 = [...shape];
        const s2 = [...shape];
        s1[axis] = cut;
        s2[axis] = shape[axis] - cut;
        const a = sub(s1);
        const b = sub(s2);
        return { v: T.concatenate([a.v, b.v], axis), shape, text: `concat(${a.text}, ${b.text}, axis=${axis})` };
      }
    }
    return this.input(shape);
  }
}
