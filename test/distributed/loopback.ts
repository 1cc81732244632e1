/** A one-process stand-in for the MPI transport (size 1: every reduction returns its input), for in-process tests. */
import { useTransport, Transport } from '../../lib/distributed/runtime.js';

export function loopback(): Transport {
  const t: Transport = { rank: 0, size: 1, allreduce: () => {}, broadcast: () => {}, barrier: () => {}, finalize: () => useTransport(null) };
  useTransport(t);
  return t;
}
