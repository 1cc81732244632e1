/*
 * The seed workload's training step written by hand in C over OpenBLAS: two gemv calls per step
 * plus fused scalar loops. The baseline that bench/run.ts compares theanode with. Built with
 * -DONE_PASS, the same step in one pass over X: by blocks of rows that fit half of a 1 MiB L2,
 * each block's X·w, scalar loop and X^T·g before the next block (the second gemv reads the
 * block from cache).
 *
 *   seed_step <data.bin> <steps>
 * data.bin: int32 N, int32 F, then X (N*F doubles), y (N doubles), w (F doubles).
 * Prints microseconds per step.
 */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef USE_FLOAT
typedef float real;
#define GEMV cblas_sgemv
#else
typedef double real;
#define GEMV cblas_dgemv
#endif

#define WARM_US 5e5

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static real softplus(real v) { return v > 0 ? v + log1p(exp(-v)) : log1p(exp(v)); }

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s data.bin steps\n", argv[0]);
    return 2;
  }
  FILE* f = fopen(argv[1], "rb");
  if (!f) return perror(argv[1]), 1;
  int N, F;
  if (fread(&N, 4, 1, f) != 1 || fread(&F, 4, 1, f) != 1) return 1;
  double* buf = malloc(sizeof(double) * ((size_t)N * F + N + F));
  if (fread(buf, sizeof(double), (size_t)N * F + N + F, f) != (size_t)N * F + N + F) return 1;
  fclose(f);
  real* X = malloc(sizeof(real) * (size_t)N * F);
  real* y = malloc(sizeof(real) * N);
  real* w = malloc(sizeof(real) * F);
  for (size_t i = 0; i < (size_t)N * F; i++) X[i] = (real)buf[i];
  for (int i = 0; i < N; i++) y[i] = (real)buf[(size_t)N * F + i];
  for (int i = 0; i < F; i++) w[i] = (real)buf[(size_t)N * F + N + i];
  real b = 0;
  real* z = malloc(sizeof(real) * N);
  real* g = malloc(sizeof(real) * N);
  real* gw = malloc(sizeof(real) * F);
  unsigned char* pred = malloc(N);
  real* xent = malloc(sizeof(real) * N);
  const int steps = atoi(argv[2]);
  /* Warm up for a tenth of the steps and at least half a second (as bench/run.ts does). */
#ifdef ONE_PASS
  const int fit = (int)(512 * 1024 / (F * sizeof(real)));
  const int block = fit > 4 ? fit : 4;
#else
  const int block = N;
#endif
  const int warm_steps = steps / 10 + 1;
  const double start = now_us();
  double t0 = 0;
  int warmed = 0, timed = 0;
  for (int s = 0; timed < steps; s++, timed += warmed) {
    if (!warmed && s >= warm_steps && now_us() - start >= WARM_US) warmed = 1, t0 = now_us();
    real gb = 0;
    for (int b0 = 0; b0 < N; b0 += block) {
      const int rows = N - b0 < block ? N - b0 : block;
      const real* Xb = X + (size_t)b0 * F;
      GEMV(CblasRowMajor, CblasNoTrans, rows, F, 1, Xb, F, w, 1, 0, z + b0, 1);
      for (int n = b0; n < b0 + rows; n++) {
        real zn = z[n] + b;
        real e = exp(-fabs(zn));
        real p = zn >= 0 ? 1 / (1 + e) : e / (1 + e);
        pred[n] = p > 0.5;
        xent[n] = y[n] * softplus(-zn) + (1 - y[n]) * softplus(zn);
        g[n] = (p - y[n]) / N;
        gb += g[n];
      }
      GEMV(CblasRowMajor, CblasTrans, rows, F, 1, Xb, F, g + b0, 1, b0 == 0 ? 0 : 1, gw, 1);
    }
    for (int k = 0; k < F; k++) w[k] -= (real)0.1 * (gw[k] + (real)0.02 * w[k]);
    b -= (real)0.1 * gb;
  }
  double per = (now_us() - t0) / steps;
  int correct = 0;
  for (int n = 0; n < N; n++) correct += pred[n] == (y[n] > 0.5);
  printf("%.3f %d\n", per, correct);
  return 0;
}
