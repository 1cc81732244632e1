#!/usr/bin/env bash
# A Debian arm64 root with Node.js and OpenBLAS, to load and test the linux-arm64 prebuild under
# qemu-user-static: qemu-aarch64-static -L build-prebuild/arm64-root build-prebuild/arm64-root/usr/bin/node.
# The packages are unpacked, not installed: the machine's own (amd64) nodejs stays as it is.
# Needs: dpkg --add-architecture arm64 && apt-get update, and apt-get install qemu-user-static.
set -euo pipefail
cd "$(dirname "$0")/../.."
dest=build-prebuild/arm64-root
debs=build-prebuild/arm64-debs
mkdir -p "$dest" "$debs"
arm64=(gcc-12-base libbrotli1 libc-ares2 libc6 libgcc-s1 libgfortran5 libicu72 libnghttp2-14 libnode108 libopenblas0-pthread libssl3 libstdc++6 libuv1 zlib1g nodejs)
(cd "$debs" && apt-get download "${arm64[@]/%/:arm64}" node-acorn node-cjs-module-lexer node-undici)
for deb in "$debs"/*.deb; do dpkg -x "$deb" "$dest"; done
# What update-alternatives does when libopenblas0-pthread is installed.
ln -sf openblas-pthread/libopenblas.so.0 "$dest/usr/lib/aarch64-linux-gnu/libopenblas.so.0"
echo "arm64 root ready: $dest ($(qemu-aarch64-static -L "$dest" "$dest/usr/bin/node" -p 'process.arch + " node " + process.version'))"
