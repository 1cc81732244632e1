/** Loads every op family, so that the kernel registry is complete (each file registers its kernels). */
import './alloc.js';
import './arange.js';
import './conv.js';
import './cumulative.js';
import './dimshuffle.js';
import './dot.js';
import './elemwise.js';
import './gemm.js';
import './index.js';
import './join.js';
import './pool.js';
import './reduce.js';
import './reshape.js';
import './rowpass.js';
import './softmax.js';
import './sort.js';
import './xent.js';
