#!/usr/bin/env bash
# valgrind memcheck over native/memcheck/exercise.ts (built to dist/). OpenBLAS is held to its
# Haswell kernels: valgrind 3.19 cannot decode AVX-512 (its CPUID hides AVX-512 from the addon's
# own kernels too). V8's JIT confuses memcheck, so node runs with --jitless; node.supp hides
# V8's conservative stack scan (it reads uninitialised stack words on purpose).
set -euo pipefail
cd "$(dirname "$0")/../.."
OPENBLAS_CORETYPE=Haswell valgrind --tool=memcheck --error-exitcode=1 --leak-check=no \
  --suppressions=native/memcheck/node.supp \
  node --jitless dist/native/memcheck/exercise.js
