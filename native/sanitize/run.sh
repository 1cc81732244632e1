#!/usr/bin/env bash
# The native tests under AddressSanitizer and UndefinedBehaviorSanitizer: builds the addon with
# -fsanitize=address,undefined into build-asan/ (the normal build/ is left alone), then runs the
# test files that exercise it with that addon. Node itself is not instrumented, so the ASan
# runtime is preloaded; leak detection is off because V8 keeps memory until exit on purpose.
# Any sanitizer report aborts the process, which fails the test that ran it.
set -euo pipefail
cd "$(dirname "$0")/../.."
flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g"
# Node's own headers (as native/build.mjs uses them), so no header download is needed.
prefix=$(dirname "$(dirname "$(command -v node)")")
if [ -z "${npm_config_nodedir:-}" ] && [ -f "$prefix/include/node/node_api.h" ]; then export npm_config_nodedir=$prefix; fi
node node_modules/cmake-js/bin/cmake-js compile --out build-asan \
  --CDCMAKE_CXX_FLAGS_RELEASE="-O1 $flags" --CDCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined"
addon=$PWD/build-asan/Release/theanode.node
asan=$(g++ -print-file-name=libasan.so)
export THEANODE_ADDON_PATH=$addon
export LD_PRELOAD=$asan
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The tests that run native code (not the packaging test, which rebuilds the normal addon);
# THEANODE_SANITIZE_TESTS narrows them.
npx vitest run ${THEANODE_SANITIZE_TESTS:-test/backend test/compile test/ops test/rewrite test/fuzz test/scan test/random} --exclude test/backend/native/package.test.ts
