/**
 * Without mpirun (as here, in the test runner) every use of distributed training gives one clear
 * Error naming the Debian packages and how to launch, on both backends, and a compiled function
 * with an allreduce changes no shared variable when it refuses.
 */
import { describe, expect, it } from 'vitest';
import { T, fn, grad, shared, distributed, array, backendInfo } from 'theanode';
import { launchedByMpirun } from '../../lib/distributed/runtime.js';

const advice = /openmpi-bin libopenmpi-dev[\s\S]*mpirun -np 2 node/;

describe.skipIf(launchedByMpirun())('distributed without mpirun', () => {
  it('init() says what to install and how to launch', () => {
    expect(() => distributed.init()).toThrow(/not started by mpirun/);
    expect(() => distributed.init()).toThrow(advice);
    expect(distributed.initialised()).toBe(false);
    expect([distributed.rank, distributed.size]).toEqual([0, 1]);
  });

  it('under mpirun but without the MPI addon, init() names the missing file and the packages', () => {
    const saved = { size: process.env.OMPI_COMM_WORLD_SIZE, path: process.env.THEANODE_MPI_ADDON_PATH };
    process.env.OMPI_COMM_WORLD_SIZE = '2';
    process.env.THEANODE_MPI_ADDON_PATH = '/nonexistent/theanode_mpi.node';
    try {
      expect(() => distributed.init()).toThrow(/the MPI addon \/nonexistent\/theanode_mpi.node was not built/);
      expect(() => distributed.init()).toThrow(advice);
    } finally {
      for (const [k, v] of [['OMPI_COMM_WORLD_SIZE', saved.size], ['THEANODE_MPI_ADDON_PATH', saved.path]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    expect(distributed.initialised()).toBe(false);
  });

  it('allreduce, broadcast and barrier need init() first', () => {
    expect(() => distributed.allreduce(array([1, 2]), 'sum')).toThrow(advice);
    expect(() => distributed.broadcast([shared(array([1]))])).toThrow(advice);
    expect(() => distributed.barrier()).toThrow(advice);
  });

  it('shardOf splits rows in rank order, lengths differing by at most one', () => {
    expect([0, 1, 2].map((r) => distributed.shardOf(10, r, 3))).toEqual([[0, 4], [4, 7], [7, 10]]);
    expect(distributed.shardOf(5)).toEqual([0, 5]);
  });

  const backends = backendInfo().backend === 'native' ? ['js', 'native'] : ['js'];
  for (const backend of backends) {
    it(`a step with T.distributed.allreduce throws the clear Error on ${backend} and updates nothing`, () => {
      const w = shared(array([1.5, 2.5]), 'w');
      const x = T.vector('x');
      const g = T.distributed.allreduce(grad(T.sum(T.mul(w, x)), w), 'mean');
      const step = fn([x], [], { backend, updates: [[w, w.sub(g)]] });
      expect(() => step(array([1, 1]))).toThrow(backend === 'native' ? /distributed training is not initialised[\s\S]*openmpi-bin and libopenmpi-dev/ : advice);
      expect(Array.from(w.getValue().data)).toEqual([1.5, 2.5]);
    });
  }
});
