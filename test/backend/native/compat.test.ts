/**
 * native/portable/compat.cc, which the shipped binary links in: each wrapper must behave as the
 * function it stands for. Compiled here with the same ld --wrap options as the prebuild, into a
 * program that copies, releases and rethrows exception_ptrs (reference counts: a wrong count
 * uses freed memory or leaks), waits on a condition variable and calls exp, log and pow.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const root = resolve(__dirname, '../../..');
const run = promisify(execFile);
const cxx = '/usr/bin/g++';
const wrapped = /foreach\(sym ([^)]*)\)/.exec(readFileSync(join(root, 'CMakeLists.txt'), 'utf8'))![1].trim().split(/\s+/);

const program = `
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <malloc.h>
#include <mutex>
#include <stdexcept>
#include <thread>
int main() {
  int caught = 0;
  const size_t before = mallinfo2().uordblks;
  for (int i = 0; i < 20000; i++) {
    std::exception_ptr a;
    try { throw std::runtime_error("x"); } catch (...) { a = std::current_exception(); }
    std::exception_ptr b = a, c = b;
    a = nullptr;
    b = c;
    try { std::rethrow_exception(c); } catch (const std::runtime_error& e) { caught += e.what()[0] == 'x'; }
  }
  const long grown = static_cast<long>(mallinfo2().uordblks) - static_cast<long>(before);
  std::mutex m;
  std::condition_variable cv;
  bool ready = false;
  std::thread t([&] { std::lock_guard<std::mutex> l(m); ready = true; cv.notify_one(); });
  { std::unique_lock<std::mutex> l(m); cv.wait(l, [&] { return ready; }); }
  t.join();
  volatile double x = 2.0;
  std::printf("%d %ld %.17g %.17g %.17g\\n", caught, grown, std::exp(x), std::log(x), std::pow(x, 0.5));
}
`;

describe.runIf(process.platform === 'linux' && ['x64', 'arm64'].includes(process.arch) && existsSync(cxx))('portable binary compatibility shims', () => {
  it('wrap exactly what the prebuild wraps and behave as the functions they stand for', async () => {
    expect(wrapped).toEqual(expect.arrayContaining(['exp', 'log', 'pow', 'pthread_once']));
    const dir = mkdtempSync(join(tmpdir(), 'theanode-compat-'));
    try {
      writeFileSync(join(dir, 'main.cc'), program);
      const exe = join(dir, 'main');
      await run(cxx, ['-O1', '-std=c++17', '-pthread', join(dir, 'main.cc'), join(root, 'native/portable/compat.cc'), ...wrapped.map((s) => `-Wl,--wrap=${s}`), '-o', exe]);
      // glibc's checking allocator, with freed memory overwritten: a reference too few (a use
      // after free) crashes; a reference too many leaks, and the heap grows.
      const debug = ['/lib/x86_64-linux-gnu/libc_malloc_debug.so.0', '/lib/aarch64-linux-gnu/libc_malloc_debug.so.0'].find(existsSync);
      const env = { ...process.env, MALLOC_CHECK_: '3', MALLOC_PERTURB_: '165', ...(debug ? { LD_PRELOAD: debug } : {}) };
      const { stdout } = await run(exe, [], { env });
      const [caught, grown, e, l, p] = stdout.trim().split(' ').map(Number);
      expect(caught).toBe(20000);
      expect(grown).toBeLessThan(64 << 10);
      expect([e, l, p]).toEqual([Math.exp(2), Math.log(2), Math.sqrt(2)]);
      // The program's own references to wrapped symbols went to their old versions.
      const symbols = (await run('objdump', ['-T', exe], { encoding: 'utf8' })).stdout;
      const versions = [...symbols.matchAll(/\((GLIBCXX|CXXABI)_([0-9.]+)\)/g)].map((m) => `${m[1]}_${m[2]}`);
      expect(versions.filter((v) => /GLIBCXX_3\.4\.(2[3-9]|3\d)|CXXABI_1\.3\.1[1-9]/.test(v))).toEqual([]);
      expect(symbols).not.toMatch(/\(GLIBC_2\.(29|3\d)\) (exp|log|pow|pthread_once)\b/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
