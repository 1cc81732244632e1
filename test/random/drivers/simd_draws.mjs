// Prints the native backend's draws (drawBytes) as JSON, run with THEANODE_SIMD set by the test.
import * as api from '../../../dist/lib/index.js';
import { drawBytes } from './draw_cases.mjs';

const [seed, rows, cols] = process.argv.slice(2).map(Number);
const out = {};
for (const dtype of ['float64', 'float32']) out[dtype] = drawBytes(api, 'native', seed, dtype, rows, cols);
console.log(JSON.stringify(out));
