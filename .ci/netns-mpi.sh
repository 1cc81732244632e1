#!/usr/bin/env bash
# Two "machines" on one host: two network namespaces joined by a veth pair, for running Open MPI
# ranks over TCP with shared memory off, as they would run on two hosts. Needs root and `ip`.
#   .ci/netns-mpi.sh up <tag>              create namespaces <tag>a (10.77.0.1) and <tag>b (10.77.0.2)
#   .ci/netns-mpi.sh run <tag> <cmd...>    run `mpirun <flags> -np 2 <cmd...>`, rank 0 in <tag>a, rank 1 in <tag>b
#   .ci/netns-mpi.sh down <tag>            remove them
# There is no ssh: mpirun starts the remote daemon with this script as its rsh agent
# (`agent <host> <command>`), which runs the command inside the namespace that has that address.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:?usage: netns-mpi.sh up|run|down|agent <tag> ...}
shift

case "$cmd" in
  up)
    tag=$1
    # Left over from a run that was killed: start afresh.
    "$0" down "$tag"
    ip netns add "${tag}a"
    ip netns add "${tag}b"
    ip link add "${tag}va" type veth peer name "${tag}vb"
    ip link set "${tag}va" netns "${tag}a"
    ip link set "${tag}vb" netns "${tag}b"
    ip -n "${tag}a" addr add 10.77.0.1/24 dev "${tag}va"
    ip -n "${tag}b" addr add 10.77.0.2/24 dev "${tag}vb"
    for ns in a b; do
      ip -n "${tag}$ns" link set lo up
      ip -n "${tag}$ns" link set "${tag}v$ns" up
    done
    ;;
  down)
    tag=$1
    ip netns del "${tag}a" 2>/dev/null || true
    ip netns del "${tag}b" 2>/dev/null || true
    ;;
  agent)
    # Called by mpirun as `agent [options] <host> <command...>`: the host is the first word that
    # is an address of ours; the command is a shell line.
    while [[ $# -gt 0 && $1 == -* ]]; do shift; done
    host=$1
    shift
    tag=${NETNS_MPI_TAG:?}
    case "$host" in
      10.77.0.1) ns="${tag}a" ;;
      10.77.0.2) ns="${tag}b" ;;
      *) echo "netns-mpi agent: unknown host $host" >&2; exit 1 ;;
    esac
    exec ip netns exec "$ns" /bin/sh -c "$*"
    ;;
  run)
    tag=$1
    shift
    hostfile=$(mktemp)
    trap 'rm -f "$hostfile"' EXIT
    printf '10.77.0.1 slots=1\n10.77.0.2 slots=1\n' >"$hostfile"
    # TCP between the namespaces only (no shared-memory transport), for the daemons' out-of-band
    # channel as for the ranks' messages; one rank per "host".
    NETNS_MPI_TAG=$tag exec ip netns exec "${tag}a" mpirun --allow-run-as-root -np 2 --hostfile "$hostfile" --map-by node \
      --mca plm_rsh_agent "$here/netns-mpi.sh agent" \
      --mca btl tcp,self --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24 \
      -x NETNS_MPI_TAG "$@"
    ;;
  *)
    echo "usage: netns-mpi.sh up|run|down <tag> ..." >&2
    exit 2
    ;;
esac
