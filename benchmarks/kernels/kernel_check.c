// kernel_check: accuracy and speed of the PlinthKernels C library.
//
// Every kernel is compared with a double-precision reference over random inputs and
// special values (0, -0, subnormals, +-inf, nan, overflow thresholds). Errors are in
// ulps of the float result; where a kernel sums or subtracts terms, the ulp is taken
// of the size of those terms (the "scale" below) instead, since no float algorithm
// can give a small relative error where the terms cancel. Any error over its stated
// tolerance makes the exit status nonzero.
//
//   kernel_check            accuracy, then speed against plain scalar libm loops
//   kernel_check --no-bench accuracy only
//   kernel_check --exhaustive STRIDE  also every STRIDE-th float through each unary map
//
// Built and run by run.sh, once per ISA variant (PK_FORCE_ISA caps the variant).
#include "PlinthKernels.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// ---- Error measurement ----

static double ulp_of(double v) {  // spacing of floats at |v|; 2^-149 below FLT_MIN
  v = fabs(v);
  if (v < FLT_MIN) return 0x1p-149;
  if (v >= FLT_MAX) return 0x1p104;
  int e;
  frexp(v, &e);
  return ldexp(1.0, e - 24);
}

// Error of y against the exact value r, in ulps of max(|r|, scale). Returns INFINITY
// for a wrong nan, a wrong infinity, or a wrong sign of zero where the reference has one.
static double err_ulps(float y, double r, double scale) {
  if (isnan(r)) return isnan(y) ? 0 : INFINITY;
  if (isnan(y)) return INFINITY;
  float rf = (float)r;
  if (isinf(rf)) return y == rf ? 0 : INFINITY;
  if (r == 0 && y == 0 && signbit(y) != signbit(r) && scale == 0) return INFINITY;
  double yd = isinf(y) ? copysign(0x1p128, y) : y;  // inf is one ulp past FLT_MAX
  double big = fabs(r) > scale ? fabs(r) : scale;
  return fabs(yd - r) / ulp_of(big);
}

typedef struct {
  const char *name;
  double max_err, tol;
  double worst_x;  // an input where the max error occurred (first argument)
  long count;
  const char *unit;
} Stat;

static Stat stats[128];
static int nstats;
static int failed;

static Stat *stat_for(const char *name, double tol, const char *unit) {
  for (int i = 0; i < nstats; i++)
    if (!strcmp(stats[i].name, name)) return &stats[i];
  Stat *s = &stats[nstats++];
  *s = (Stat){name, 0, tol, 0, 0, unit};
  return s;
}

static void record(Stat *s, double err, double x) {
  s->count++;
  if (err > s->max_err || (isnan(err) && !isnan(s->max_err))) {
    s->max_err = err;
    s->worst_x = x;
  }
}

// ---- Inputs ----

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rand_u32(void) {  // xorshift64*
  rng ^= rng >> 12, rng ^= rng << 25, rng ^= rng >> 27;
  return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 32);
}
static float rand_uniform(float lo, float hi) {
  return lo + (hi - lo) * (float)((rand_u32() >> 8) * 0x1p-24);
}
static float rand_bits(void) {
  uint32_t u = rand_u32();
  float f;
  memcpy(&f, &u, 4);
  return f;
}
static float rand_normal(void) {
  float u1 = rand_uniform(1e-7f, 1.0f), u2 = rand_uniform(0.0f, 1.0f);
  return sqrtf(-2.0f * logf(u1)) * cosf(6.2831853f * u2);
}

static const float specials[] = {
    0.0f, -0.0f, INFINITY, -INFINITY, NAN, -NAN, FLT_MIN, -FLT_MIN, 0x1p-149f, -0x1p-149f,
    0x1p-140f, -0x1.8p-130f, FLT_MAX, -FLT_MAX, 1.0f, -1.0f, 0.5f, -0.5f, 2.0f, -2.0f, 3.0f, -3.0f,
    88.72283f, 88.7228394f, 88.72284f, 89.0f, -87.33654f, -87.3366f, -103.27893f, -103.972084f,
    -103.97209f, -104.0f, -110.0f, -120.0f, -121.0f, -150.0f, 0.625f, -0.625f, 0.62499994f,
    0.921875f, -0.921875f, 0.92187494f, 1.3037f, -1.3037f, 3.92f, -3.92f, 9.0f, -9.0f, 10.1f,
    -10.1f, 13.0f, -13.0f, 14.3f, -14.3f, 20.0f, -20.0f, 1e-8f, -1e-8f, 1e4f, -1e4f, 1e10f, -1e10f,
    1e20f, -1e20f, 1e30f, -1e30f, 0.999999940f, 1.00000012f, 0.70710677f, 1.4142135f};
#define NSPECIAL ((int)(sizeof specials / sizeof specials[0]))

// Test inputs for unary maps: the specials, uniform draws at several widths, and random
// bit patterns (which cover every binade, nan payloads and subnormals). n is not a
// multiple of 16 so the tail path is exercised too.
static float *unary_inputs(int64_t *n_out) {
  static const float widths[] = {0.01f, 1.0f, 4.0f, 12.0f, 30.0f, 100.0f, 200.0f};
  int64_t per = 150000, n = NSPECIAL + 7 * per + 600000 + 13, k = 0;
  float *x = malloc(n * sizeof *x);
  for (int i = 0; i < NSPECIAL; i++) x[k++] = specials[i];
  for (int w = 0; w < 7; w++)
    for (int64_t i = 0; i < per; i++) x[k++] = rand_uniform(-widths[w], widths[w]);
  while (k < n) x[k++] = rand_bits();
  *n_out = n;
  return x;
}

// ---- Double-precision references ----

static double sigmoid_d(double w) {
  return w >= 0 ? 1 / (1 + exp(-w)) : exp(w) / (1 + exp(w));
}
static double gelu_tanh_w(double x) {  // 2 sqrt(2/pi) (x + 0.044715 x^3)
  return 2 * sqrt(2 / M_PI) * (x + 0.044715 * x * x * x);
}
static double gelu_erf_d(double x) {
  if (isinf(x)) return x > 0 ? x : -0.0;
  return 0.5 * x * erfc(-x / M_SQRT2);
}

typedef struct {
  double value, scale;
} Ref;

static Ref ref_exp(double x) { return (Ref){exp(x), 0}; }
static Ref ref_log(double x) { return (Ref){log(x), 0}; }
static Ref ref_tanh(double x) { return (Ref){tanh(x), 0}; }
static Ref ref_erf(double x) { return (Ref){erf(x), 0}; }
static Ref ref_sigmoid(double x) { return (Ref){sigmoid_d(x), 0}; }
static Ref ref_sqrt(double x) { return (Ref){sqrt(x), 0}; }
static Ref ref_rsqrt(double x) { return (Ref){1 / sqrt(x), 0}; }
static Ref ref_gelu_erf(double x) { return (Ref){gelu_erf_d(x), 0}; }
static Ref ref_gelu_tanh(double x) {
  if (isinf(x)) return (Ref){x > 0 ? x : -0.0, 0};
  return (Ref){x * sigmoid_d(gelu_tanh_w(x)), 0};
}
static Ref ref_silu(double x) {
  if (isinf(x)) return (Ref){x > 0 ? x : -0.0, 0};
  return (Ref){x * sigmoid_d(x), 0};
}
static Ref ref_neg(double x) { return (Ref){-x, 0}; }
static Ref ref_abs(double x) { return (Ref){fabs(x), 0}; }
static Ref ref_relu(double x) { return (Ref){isnan(x) ? x : x > 0 ? x : 0.0, 0}; }

// ---- Unary maps ----

typedef void (*Map1)(const float *, float *, int64_t);
typedef Ref (*Ref1)(double);

typedef struct {
  const char *name;
  Map1 f;
  Ref1 ref;
  double tol;
} Unary;

static const Unary unaries[] = {
    {"exp", pk_exp, ref_exp, 1.5},
    {"log", pk_log, ref_log, 1.5},
    {"tanh", pk_tanh, ref_tanh, 2},
    {"erf", pk_erf, ref_erf, 2},
    {"sigmoid", pk_sigmoid, ref_sigmoid, 3},
    {"gelu_erf", pk_gelu_erf, ref_gelu_erf, 3.5},
    {"gelu_tanh", pk_gelu_tanh, ref_gelu_tanh, 4},
    {"silu", pk_silu, ref_silu, 4},
    {"sqrt", pk_sqrt, ref_sqrt, 0.5},
    {"rsqrt", pk_rsqrt, ref_rsqrt, 2},  // two correctly rounded steps
    {"neg", pk_neg, ref_neg, 0},
    {"abs", pk_abs, ref_abs, 0},
    {"relu", pk_relu, ref_relu, 0},
};
#define NUNARY ((int)(sizeof unaries / sizeof unaries[0]))

static void check_unary(const Unary *u, const float *x, float *y, int64_t n) {
  Stat *s = stat_for(u->name, u->tol, "ulp");
  u->f(x, y, n);
  for (int64_t i = 0; i < n; i++) {
    Ref r = u->ref(x[i]);
    record(s, err_ulps(y[i], r.value, r.scale), x[i]);
  }
}

static void check_unaries(void) {
  int64_t n;
  float *x = unary_inputs(&n), *y = malloc(n * sizeof *y), *z = malloc(n * sizeof *z);
  for (int u = 0; u < NUNARY; u++) {
    check_unary(&unaries[u], x, y, n);
    // In place must give the same bits.
    memcpy(z, x, n * sizeof *z);
    unaries[u].f(z, z, n);
    Stat *s = stat_for("in-place == out-of-place", 0, "bits");
    record(s, memcmp(y, z, n * sizeof *y) ? INFINITY : 0, u);
  }
  free(x), free(y), free(z);
}

// Every stride-th float bit pattern through each transcendental map.
static void check_exhaustive(uint32_t stride) {
  enum { CHUNK = 1 << 20 };
  float *x = malloc(CHUNK * sizeof *x), *y = malloc(CHUNK * sizeof *y);
  for (int u = 0; u < NUNARY; u++) {
    char name[64];
    snprintf(name, sizeof name, "%s (every %u-th float)", unaries[u].name, stride);
    Stat *s = stat_for(strdup(name), unaries[u].tol, "ulp");
    uint64_t bits = 0;
    while (bits < (1ull << 32)) {
      int64_t k = 0;
      for (; k < CHUNK && bits < (1ull << 32); k++, bits += stride) {
        uint32_t b = (uint32_t)bits;
        memcpy(&x[k], &b, 4);
      }
      unaries[u].f(x, y, k);
      for (int64_t i = 0; i < k; i++) {
        Ref r = unaries[u].ref(x[i]);
        record(s, err_ulps(y[i], r.value, r.scale), x[i]);
      }
    }
  }
  free(x), free(y);
}

// ---- pow ----

static void check_pow(void) {
  static const float ps[] = {0.0f, -0.0f, 1.0f, 2.0f, 0.5f, -1.0f, 3.0f, -3.0f, -2.0f, 4.0f,
                             1.5f, -0.5f, 2.5f, 0.1f, -7.3f, 17.0f, 1e-3f, 8388609.0f,
                             16777216.0f, 1e10f, INFINITY, -INFINITY, NAN, 40.0f, -40.0f};
  int64_t n;
  float *x = unary_inputs(&n), *y = malloc(n * sizeof *y);
  Stat *s = stat_for("pow_scalar", 2, "ulp");
  for (unsigned j = 0; j < sizeof ps / sizeof ps[0]; j++) {
    pk_pow_scalar(x, ps[j], y, n);
    for (int64_t i = 0; i < n; i++) record(s, err_ulps(y[i], pow(x[i], ps[j]), 0), x[i]);
  }
  free(x), free(y);
}

// ---- Binary, scalar and backward maps ----

static float binary_input(int64_t i) {
  if (i < NSPECIAL) return specials[i];
  int mode = (int)(i % 3);
  return mode == 0 ? rand_bits() : mode == 1 ? rand_uniform(-10, 10) : rand_uniform(-100, 100);
}

static void check_binaries(void) {
  const int64_t n = 400003;
  float *a = malloc(n * 4), *b = malloc(n * 4), *y = malloc(n * 4);
  for (int64_t i = 0; i < n; i++) a[i] = binary_input(i), b[i] = binary_input((i * 7) % n);
  for (int64_t i = 0; i < NSPECIAL; i++)  // every special against every special
    for (int64_t j = 0; j < NSPECIAL; j++) {
      a[i * NSPECIAL + j] = specials[i];
      b[i * NSPECIAL + j] = specials[j];
    }

  // Correctly rounded operations must match the compiler's scalar float arithmetic.
#define EXACT2(fn, expr)                                                     \
  do {                                                                       \
    Stat *s = stat_for(#fn, 0, "ulp");                                       \
    fn(a, b, y, n);                                                          \
    for (int64_t i = 0; i < n; i++) {                                        \
      float A = a[i], B = b[i], r = (expr);                                  \
      record(s, (y[i] == r || (isnan(y[i]) && isnan(r))) ? 0 : INFINITY, A); \
    }                                                                        \
  } while (0)
  EXACT2(pk_add, A + B);
  EXACT2(pk_sub, A - B);
  EXACT2(pk_mul, A * B);
  EXACT2(pk_div, A / B);
  EXACT2(pk_maximum, isnan(A) || isnan(B) ? NAN : A > B ? A : B);
  EXACT2(pk_minimum, isnan(A) || isnan(B) ? NAN : A < B ? A : B);
#undef EXACT2
  const float sc = 1.7f;
#define EXACTS(fn, expr)                                                     \
  do {                                                                       \
    Stat *s = stat_for(#fn, 0, "ulp");                                       \
    fn(a, sc, y, n);                                                         \
    for (int64_t i = 0; i < n; i++) {                                        \
      float A = a[i], r = (expr);                                            \
      record(s, (y[i] == r || (isnan(y[i]) && isnan(r))) ? 0 : INFINITY, A); \
    }                                                                        \
  } while (0)
  EXACTS(pk_add_scalar, A + sc);
  EXACTS(pk_mul_scalar, A * sc);
  EXACTS(pk_rsub_scalar, sc - A);
  EXACTS(pk_rdiv_scalar, sc / A);
#undef EXACTS
  {
    Stat *s = stat_for("pk_clamp", 0, "ulp");
    pk_clamp(a, -3.0f, 5.0f, y, n);
    for (int64_t i = 0; i < n; i++) {
      float r = isnan(a[i]) ? NAN : a[i] < -3 ? -3 : a[i] > 5 ? 5 : a[i];
      record(s, (y[i] == r || (isnan(y[i]) && isnan(r))) ? 0 : INFINITY, a[i]);
    }
    s = stat_for("pk_fill", 0, "ulp");
    pk_fill(y, -2.5f, n);
    for (int64_t i = 0; i < n; i++) record(s, y[i] == -2.5f ? 0 : INFINITY, i);
  }
  {  // axpy may fuse the multiply-add: compare with the exact value, scale |y| + |ax|.
    Stat *s = stat_for("pk_axpy", 1, "ulp(terms)");
    for (int64_t i = 0; i < n; i++) a[i] = rand_uniform(-10, 10), b[i] = rand_uniform(-10, 10);
    memcpy(y, b, n * 4);
    pk_axpy(0.37f, a, y, n);
    for (int64_t i = 0; i < n; i++) {
      double r = (double)b[i] + (double)0.37f * a[i];
      record(s, err_ulps(y[i], r, fabs(b[i]) + fabs((double)0.37f * a[i])), a[i]);
    }
  }
  free(a), free(b), free(y);
}

// Backward references return the exact gradient and the size of the terms it sums.
// (A nonzero scale also waives the sign-of-zero check: gradients' zero signs are moot.)
static Ref ref_relu_bwd(double x, double gy) { return (Ref){x <= 0 ? 0 : gy, DBL_MIN}; }
static Ref ref_gelu_erf_bwd(double x, double gy) {
  if (isinf(x)) return (Ref){x > 0 ? gy : 0, DBL_MIN};
  double cdf = 0.5 * erfc(-x / M_SQRT2), pdf = exp(-0.5 * x * x) / sqrt(2 * M_PI);
  return (Ref){gy * (cdf + x * pdf), fabs(gy) * (cdf + fabs(x * pdf)) + DBL_MIN};
}
static Ref ref_x_sigmoid_bwd(double x, double w, double dw, double gy) {
  if (isinf(x)) return (Ref){x > 0 ? gy : 0, DBL_MIN};
  double s = sigmoid_d(w), sc = sigmoid_d(-w), t = x * dw * s * sc;
  return (Ref){gy * (s + t), fabs(gy) * (s + fabs(t)) + DBL_MIN};
}
static Ref ref_gelu_tanh_bwd(double x, double gy) {
  double dw = 2 * sqrt(2 / M_PI) * (1 + 3 * 0.044715 * x * x);
  return ref_x_sigmoid_bwd(x, gelu_tanh_w(x), dw, gy);
}
static Ref ref_silu_bwd(double x, double gy) { return ref_x_sigmoid_bwd(x, x, 1, gy); }
static Ref ref_tanh_bwd(double y, double gy) { return (Ref){gy * (1 - y * y), DBL_MIN}; }
static Ref ref_sigmoid_bwd(double y, double gy) { return (Ref){gy * y * (1 - y), DBL_MIN}; }

typedef void (*Map2)(const float *, const float *, float *, int64_t);
typedef struct {
  const char *name;
  Map2 f;
  Ref (*ref)(double, double);
  double tol;
  int of_output;  // input is the forward output y, in [-1, 1] or [0, 1]
} Backward;

static void check_backward(void) {
  static const Backward bw[] = {
      {"relu_backward", pk_relu_backward, ref_relu_bwd, 0, 0},
      {"gelu_erf_backward", pk_gelu_erf_backward, ref_gelu_erf_bwd, 4, 0},
      {"gelu_tanh_backward", pk_gelu_tanh_backward, ref_gelu_tanh_bwd, 6, 0},
      {"silu_backward", pk_silu_backward, ref_silu_bwd, 5, 0},
      {"tanh_backward", pk_tanh_backward, ref_tanh_bwd, 2.5, 1},
      {"sigmoid_backward", pk_sigmoid_backward, ref_sigmoid_bwd, 2.5, 2},
  };
  int64_t n;
  float *x = unary_inputs(&n), *g = malloc(n * 4), *gx = malloc(n * 4), *yv = malloc(n * 4);
  for (int64_t i = 0; i < n; i++) g[i] = i % 5 == 0 ? 1.0f : rand_uniform(-3, 3);
  for (unsigned k = 0; k < sizeof bw / sizeof bw[0]; k++) {
    const float *in = x;
    if (bw[k].of_output) {  // realistic forward outputs, including the saturated ends
      for (int64_t i = 0; i < n; i++) {
        float t = x[i];
        yv[i] = bw[k].of_output == 1 ? tanhf(t) : (float)sigmoid_d(t);
        if (isnan(yv[i])) yv[i] = 0.5f;
      }
      in = yv;
    }
    Stat *s = stat_for(bw[k].name, bw[k].tol, "ulp(terms)");
    bw[k].f(in, g, gx, n);
    for (int64_t i = 0; i < n; i++) {
      if (isnan(in[i])) continue;
      Ref r = bw[k].ref(in[i], g[i]);
      record(s, err_ulps(gx[i], r.value, r.scale), in[i]);
    }
  }
  free(x), free(g), free(gx), free(yv);
}

// ---- Reductions and row kernels ----

static void fill_row_data(float *x, int64_t n, int kind) {
  for (int64_t i = 0; i < n; i++) {
    switch (kind) {
      case 0: x[i] = rand_normal(); break;
      case 1: x[i] = 30.0f * rand_normal() + 1000.0f; break;  // large mean, wide spread
      case 2: x[i] = (float)(rand_u32() % 5); break;          // many ties
      default: x[i] = rand_uniform(-80, 5); break;
    }
  }
}

static void check_reductions(void) {
  static const int64_t sizes[] = {0, 1, 7, 16, 63, 64, 65, 1000, 1024, 1025, 4097, 100003, 3000000};
  Stat *ss = stat_for("sum", 4, "ulp(sum|x|)"), *sd = stat_for("dot", 4, "ulp(sum|ab|)");
  Stat *sm = stat_for("max", 0, "exact");
  for (unsigned k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    int64_t n = sizes[k];
    float *a = malloc((n + 1) * 4), *b = malloc((n + 1) * 4);
    for (int kind = 0; kind < 4; kind++) {
      fill_row_data(a, n, kind);
      fill_row_data(b, n, 0);
      double sum = 0, abs_sum = 0, dot = 0, abs_dot = 0, mx = -INFINITY;
      for (int64_t i = 0; i < n; i++) {
        sum += a[i], abs_sum += fabs(a[i]);
        dot += (double)a[i] * b[i], abs_dot += fabs((double)a[i] * b[i]);
        mx = a[i] > mx ? a[i] : mx;
      }
      record(ss, err_ulps(pk_sum(a, n), sum, abs_sum), n);
      record(sd, err_ulps(pk_dot(a, b, n), dot, abs_dot), n);
      record(sm, pk_max(a, n) == (float)mx ? 0 : INFINITY, n);
      if (n > 3) {  // nan anywhere propagates
        a[n / 2] = NAN;
        record(sm, isnan(pk_max(a, n)) ? 0 : INFINITY, n);
      }
    }
    free(a), free(b);
  }
}

// Row kernels on assorted shapes, data kinds, and rows of specials.
static void check_rows(void) {
  static const int64_t shapes[][2] = {{1, 1}, {3, 5}, {4, 16}, {5, 17}, {7, 197}, {3, 384},
                                      {2, 1000}, {2, 4099}, {1, 70001}};
  Stat *s_sum = stat_for("sum_rows", 4, "ulp(sum|x|)");
  Stat *s_max = stat_for("max_rows (value, first idx)", 0, "exact");
  Stat *s_lse = stat_for("logsumexp_rows", 3, "ulp(terms)");
  Stat *s_sm = stat_for("softmax_rows", 4, "ulp/(1+|x-max|)");
  Stat *s_lsm = stat_for("log_softmax_rows", 3, "ulp(terms)");
  Stat *s_smb = stat_for("softmax_backward_rows", 4, "ulp(terms)");
  Stat *s_lsmb = stat_for("log_softmax_backward_rows", 4, "ulp(terms)");
  for (unsigned k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
    int64_t rows = shapes[k][0], cols = shapes[k][1], n = rows * cols;
    float *x = malloc(n * 4), *y = malloc(n * 4), *g = malloc(n * 4), *gx = malloc(n * 4);
    float *ry = malloc(rows * 4);
    int64_t *idx = malloc(rows * 8);
    double *d = malloc(cols * sizeof *d);
    for (int kind = 0; kind < 5; kind++) {
      fill_row_data(x, n, kind);
      if (kind == 4) {  // a row of -inf, a row holding +inf, a row holding nan, as rows allow
        for (int64_t c = 0; c < cols; c++) x[c] = -INFINITY;
        if (rows > 1) x[cols + cols / 2] = INFINITY;
        if (rows > 2) x[2 * cols + cols / 3] = NAN;
      }
      for (int64_t i = 0; i < n; i++) g[i] = rand_normal();
      pk_sum_rows(x, ry, rows, cols);
      for (int64_t r = 0; r < rows; r++) {
        double s = 0, a = 0;
        for (int64_t c = 0; c < cols; c++) s += x[r * cols + c], a += fabs(x[r * cols + c]);
        record(s_sum, err_ulps(ry[r], s, a), cols);
      }
      pk_max_rows(x, ry, idx, rows, cols);
      for (int64_t r = 0; r < rows; r++) {
        const float *row = x + r * cols;
        int64_t best = 0;
        for (int64_t c = 1; c < cols; c++)
          if (!isnan(row[best]) && (isnan(row[c]) || row[c] > row[best])) best = c;
        int ok = idx[r] == best && (ry[r] == row[best] || (isnan(ry[r]) && isnan(row[best])));
        record(s_max, ok ? 0 : INFINITY, cols);
      }
      pk_logsumexp_rows(x, ry, rows, cols);
      for (int64_t r = 0; r < rows; r++) {
        const float *row = x + r * cols;
        double m = -INFINITY, s = 0;
        int has_nan = 0;
        for (int64_t c = 0; c < cols; c++) m = row[c] > m ? row[c] : m, has_nan |= isnan(row[c]);
        if (isinf(m) || has_nan) {
          record(s_lse, err_ulps(ry[r], has_nan ? NAN : m, 0), cols);
          continue;
        }
        for (int64_t c = 0; c < cols; c++) s += exp(row[c] - m);
        // The float sum s >= 1 carries an inherent relative error ~2^-24, an absolute
        // one in log(s): hence log(s)'s term counts as at least 1.
        record(s_lse, err_ulps(ry[r], m + log(s), fabs(m) + fmax(1, log(s))), cols);
      }
      if (kind == 4) continue;  // softmax of special rows is nan by contract; covered below
      pk_softmax_rows(x, y, rows, cols);
      pk_log_softmax_rows(x, gx, rows, cols);
      for (int64_t r = 0; r < rows; r++) {
        const float *row = x + r * cols;
        double m = -INFINITY, s = 0;
        for (int64_t c = 0; c < cols; c++) m = row[c] > m ? row[c] : m;
        for (int64_t c = 0; c < cols; c++) s += d[c] = exp(row[c] - m);
        for (int64_t c = 0; c < cols; c++) {
          double e = err_ulps(y[r * cols + c], d[c] / s, 0) / (1 + fabs(row[c] - m));
          record(s_sm, e, row[c]);
          double l = (row[c] - m) - log(s);
          record(s_lsm, err_ulps(gx[r * cols + c], l, fabs(row[c] - m) + fmax(1, log(s))), row[c]);
        }
      }
      // Backward, from the kernels' own (float) forward outputs.
      float *gy2 = malloc(n * 4);
      pk_softmax_backward_rows(y, g, gy2, rows, cols);
      for (int64_t r = 0; r < rows; r++) {
        const float *yr = y + r * cols, *gr = g + r * cols;
        double s = 0, sa = 0;
        for (int64_t c = 0; c < cols; c++) s += (double)gr[c] * yr[c];
        for (int64_t c = 0; c < cols; c++) sa += fabs((double)gr[c] * yr[c]);
        for (int64_t c = 0; c < cols; c++) {
          double ref = yr[c] * (gr[c] - s), scale = fabs(yr[c]) * (fabs(gr[c]) + sa);
          record(s_smb, err_ulps(gy2[r * cols + c], ref, scale), yr[c]);
        }
      }
      pk_log_softmax_backward_rows(gx, g, gy2, rows, cols);
      for (int64_t r = 0; r < rows; r++) {
        double s = 0, sa = 0;
        for (int64_t c = 0; c < cols; c++) s += g[r * cols + c], sa += fabs(g[r * cols + c]);
        for (int64_t c = 0; c < cols; c++) {
          double p = exp((double)gx[r * cols + c]), gg = g[r * cols + c];
          record(s_lsmb, err_ulps(gy2[r * cols + c], gg - p * s, fabs(gg) + p * sa), p);
        }
      }
      free(gy2);
    }
    free(x), free(y), free(g), free(gx), free(ry), free(idx), free(d);
  }
}

static void check_layer_norm(void) {
  static const int64_t shapes[][2] = {{1, 1}, {3, 7}, {4, 16}, {5, 384}, {2, 1000}, {2, 4099}};
  Stat *s_y = stat_for("layer_norm_rows y", 4, "ulp(terms)");
  Stat *s_st = stat_for("layer_norm_rows mean, rstd", 4, "ulp");
  Stat *s_gx = stat_for("layer_norm_backward gx", 4, "ulp(terms)");
  Stat *s_gwb = stat_for("layer_norm_backward gw, gb", 4, "ulp(terms)");
  const float eps = 1e-5f;
  for (unsigned k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
    int64_t rows = shapes[k][0], cols = shapes[k][1], n = rows * cols;
    float *x = malloc(n * 4), *y = malloc(n * 4), *gy = malloc(n * 4), *gx = malloc(n * 4);
    float *w = malloc(cols * 4), *b = malloc(cols * 4);
    float *gw = malloc(cols * 4), *gb = malloc(cols * 4);
    float *mean = malloc(rows * 4), *rstd = malloc(rows * 4);
    for (int kind = 0; kind < 4; kind++) {
      for (int affine = 0; affine < 2; affine++) {
        fill_row_data(x, n, kind == 2 ? 0 : kind);
        for (int64_t i = 0; i < n; i++) gy[i] = rand_normal();
        for (int64_t c = 0; c < cols; c++) {
          w[c] = 1 + 0.3f * rand_normal(), b[c] = rand_normal();
          gw[c] = gb[c] = 0.5f;
        }
        const float *wp = affine ? w : NULL, *bp = affine ? b : NULL;
        pk_layer_norm_rows(x, wp, bp, y, mean, rstd, rows, cols, eps);
        float *gwp = affine ? gw : NULL, *gbp = affine ? gb : NULL;
        pk_layer_norm_backward_rows(x, wp, mean, rstd, gy, gx, gwp, gbp, rows, cols);
        double *rgw = calloc(cols, 8), *rgb = calloc(cols, 8);  // reference gw, gb
        double *agw = calloc(cols, 8), *agb = calloc(cols, 8);  // and their scales
        for (int64_t r = 0; r < rows; r++) {
          const float *xr = x + r * cols;
          double mu = 0, var = 0, mabs = 0;
          for (int64_t c = 0; c < cols; c++) mu += xr[c], mabs += fabs(xr[c]);
          mu /= cols, mabs /= cols;
          for (int64_t c = 0; c < cols; c++) var += (xr[c] - mu) * (xr[c] - mu);
          var /= cols;
          double rs = 1 / sqrt(var + eps);
          record(s_st, err_ulps(mean[r], mu, mabs), mu);
          record(s_st, err_ulps(rstd[r], rs, 0), rs);
          double mg = 0, mgx = 0, ag = 0, agx = 0;
          // x - mean cancels, and mean is a sum: the size of xhat's terms is taken as
          // (|x| + mean |x|) rstd.
          for (int64_t c = 0; c < cols; c++) {
            double xh = (xr[c] - mu) * rs, xt = (fabs(xr[c]) + mabs) * rs;
            double ww = affine ? w[c] : 1, bb = affine ? b[c] : 0;
            record(s_y, err_ulps(y[r * cols + c], xh * ww + bb, xt * fabs(ww) + fabs(bb)), xh);
            double g = gy[r * cols + c] * ww;
            mg += g, mgx += g * xh, ag += fabs(g), agx += fabs(g) * xt;
            rgw[c] += gy[r * cols + c] * xh, agw[c] += fabs(gy[r * cols + c]) * xt;
            rgb[c] += gy[r * cols + c], agb[c] += fabs(gy[r * cols + c]);
          }
          mg /= cols, mgx /= cols, ag /= cols, agx /= cols;
          for (int64_t c = 0; c < cols; c++) {
            double xh = (xr[c] - mu) * rs, xt = (fabs(xr[c]) + mabs) * rs;
            double g = gy[r * cols + c] * (affine ? w[c] : 1);
            double ref = rs * (g - mg - xh * mgx), scale = rs * (fabs(g) + ag + xt * agx);
            record(s_gx, err_ulps(gx[r * cols + c], ref, scale), xh);
          }
        }
        if (affine)
          for (int64_t c = 0; c < cols; c++) {
            record(s_gwb, err_ulps(gw[c], 0.5 + rgw[c], 0.5 + agw[c]), c);
            record(s_gwb, err_ulps(gb[c], 0.5 + rgb[c], 0.5 + agb[c]), c);
          }
        free(rgw), free(rgb), free(agw), free(agb);
      }
    }
    free(x), free(y), free(gy), free(gx), free(w), free(b), free(gw), free(gb);
    free(mean), free(rstd);
  }
}

static void adamw_ref(double *p, double g, double *m, double *v, double lr, double b1, double b2,
                      double eps, double wd, double bc1, double bc2) {
  *p *= 1 - lr * wd;
  *m = b1 * *m + (1 - b1) * g;
  *v = b2 * *v + (1 - b2) * g * g;
  *p -= lr * (*m / bc1) / (sqrt(*v / bc2) + eps);
}

static void check_adamw(void) {
  const int64_t n = 100003;
  float *p = malloc(n * 4), *g = malloc(n * 4), *m = malloc(n * 4), *v = malloc(n * 4);
  for (int64_t i = 0; i < n; i++) {
    p[i] = rand_normal(), g[i] = rand_normal() * (i % 3 ? 1e-3f : 1.0f);
    m[i] = rand_normal() * 1e-2f, v[i] = fabsf(rand_normal()) * 1e-4f;
    if (i % 97 == 0) m[i] = v[i] = 0;  // first step
  }
  const float lr = 1e-3f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, wd = 0.01f;
  const float bc1 = 1 - powf(b1, 3), bc2 = 1 - powf(b2, 3);
  Stat *sp = stat_for("adamw p", 2, "ulp(terms)"), *sm = stat_for("adamw m, v", 2, "ulp(terms)");
  float *p0 = malloc(n * 4), *m0 = malloc(n * 4), *v0 = malloc(n * 4);
  memcpy(p0, p, n * 4), memcpy(m0, m, n * 4), memcpy(v0, v, n * 4);
  pk_adamw_step(p, g, m, v, n, lr, b1, b2, eps, wd, bc1, bc2);
  for (int64_t i = 0; i < n; i++) {
    double P = p0[i], M = m0[i], V = v0[i];
    adamw_ref(&P, g[i], &M, &V, lr, b1, b2, eps, wd, bc1, bc2);
    double step = fabs(lr * (M / bc1) / (sqrt(V / bc2) + eps));
    record(sp, err_ulps(p[i], P, fabs(p0[i] * (1 - lr * wd)) + step), p0[i]);
    record(sm, err_ulps(m[i], M, b1 * fabs(m0[i]) + (1 - b1) * fabs(g[i])), m0[i]);
    record(sm, err_ulps(v[i], V, 0), v0[i]);
  }
  free(p), free(g), free(m), free(v), free(p0), free(m0), free(v0);
}

// ---- In place ----

// Kernels run with an output that is also an input must give the same bits as
// out of place, for row lengths below, at and above the vector width.
static void check_in_place(void) {
  static const int64_t shapes[][2] = {{3, 5}, {2, 16}, {3, 37}, {2, 197}, {1, 1000}};
  Stat *st = stat_for("in-place == out-of-place", 0, "bits");
  for (unsigned k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
    int64_t rows = shapes[k][0], cols = shapes[k][1], n = rows * cols;
    float *a = malloc(n * 4), *b = malloc(n * 4), *ref = malloc(n * 4), *io = malloc(n * 4);
    float *w = malloc(cols * 4), *mean = malloc(rows * 4), *rstd = malloc(rows * 4);
    for (int64_t i = 0; i < n; i++) a[i] = rand_normal(), b[i] = rand_uniform(0.01f, 0.2f);
    for (int64_t c = 0; c < cols; c++) w[c] = rand_normal();
    pk_layer_norm_rows(a, w, w, ref, mean, rstd, rows, cols, 1e-5f);
    // OUT_OF_PLACE writes ref; IN_PLACE writes io, which starts as a copy of `src`.
#define SAME(label, src, OUT_OF_PLACE, IN_PLACE)                        \
  do {                                                                  \
    OUT_OF_PLACE;                                                       \
    memcpy(io, src, n * 4);                                             \
    IN_PLACE;                                                           \
    record(st, memcmp(ref, io, n * 4) ? INFINITY : 0, cols);            \
    if (memcmp(ref, io, n * 4)) printf("in-place mismatch: %s\n", label); \
  } while (0)
    SAME("add y=a", a, pk_add(a, b, ref, n), pk_add(io, b, io, n));
    SAME("sub y=b", b, pk_sub(a, b, ref, n), pk_sub(a, io, io, n));
    SAME("rdiv_scalar", a, pk_rdiv_scalar(a, 3, ref, n), pk_rdiv_scalar(io, 3, io, n));
    SAME("pow_scalar", b, pk_pow_scalar(b, 1.7f, ref, n), pk_pow_scalar(io, 1.7f, io, n));
    SAME("clamp", a, pk_clamp(a, -1, 1, ref, n), pk_clamp(io, -1, 1, io, n));
    SAME("gelu_erf_backward", b, pk_gelu_erf_backward(a, b, ref, n),
         pk_gelu_erf_backward(a, io, io, n));
    SAME("softmax_rows", a, pk_softmax_rows(a, ref, rows, cols),
         pk_softmax_rows(io, io, rows, cols));
    SAME("log_softmax_rows", a, pk_log_softmax_rows(a, ref, rows, cols),
         pk_log_softmax_rows(io, io, rows, cols));
    SAME("softmax_backward gx=gy", b, pk_softmax_backward_rows(a, b, ref, rows, cols),
         pk_softmax_backward_rows(a, io, io, rows, cols));
    SAME("softmax_backward gx=y", a, pk_softmax_backward_rows(a, b, ref, rows, cols),
         pk_softmax_backward_rows(io, b, io, rows, cols));
    SAME("log_softmax_backward gx=gy", b, pk_log_softmax_backward_rows(a, b, ref, rows, cols),
         pk_log_softmax_backward_rows(a, io, io, rows, cols));
    SAME("layer_norm_rows", a, pk_layer_norm_rows(a, w, b, ref, NULL, NULL, rows, cols, 1e-5f),
         pk_layer_norm_rows(io, w, b, io, NULL, NULL, rows, cols, 1e-5f));
    SAME("layer_norm_backward gx=gy", b,
         pk_layer_norm_backward_rows(a, w, mean, rstd, b, ref, NULL, NULL, rows, cols),
         pk_layer_norm_backward_rows(a, w, mean, rstd, io, io, NULL, NULL, rows, cols));
#undef SAME
    free(a), free(b), free(ref), free(io), free(w), free(mean), free(rstd);
  }
}

// ---- Speed ----

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

// Best of 5 runs of at least 0.1 s each: elements per second, in G.
#define TIME_GELEMS(elems, stmt)                          \
  ({                                                      \
    double best = 1e30;                                   \
    for (int rep = 0; rep < 5; rep++) {                   \
      int iters = 0;                                      \
      double t0 = now(), t;                               \
      do {                                                \
        stmt;                                             \
        iters++;                                          \
      } while ((t = now() - t0) < 0.1);                   \
      if (t / iters < best) best = t / iters;             \
    }                                                     \
    (double)(elems) / best * 1e-9;                        \
  })

static void scalar_softmax(const float *x, float *y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++) {
    const float *a = x + r * cols;
    float *o = y + r * cols, m = -INFINITY, s = 0;
    for (int64_t c = 0; c < cols; c++) m = a[c] > m ? a[c] : m;
    for (int64_t c = 0; c < cols; c++) s += o[c] = expf(a[c] - m);
    for (int64_t c = 0; c < cols; c++) o[c] /= s;
  }
}

static void scalar_layer_norm(const float *x, const float *w, const float *b, float *y,
                              int64_t rows, int64_t cols, float eps) {
  for (int64_t r = 0; r < rows; r++) {
    const float *a = x + r * cols;
    float mu = 0, var = 0;
    for (int64_t c = 0; c < cols; c++) mu += a[c];
    mu /= cols;
    for (int64_t c = 0; c < cols; c++) var += (a[c] - mu) * (a[c] - mu);
    float rs = 1 / sqrtf(var / cols + eps);
    for (int64_t c = 0; c < cols; c++) y[r * cols + c] = (a[c] - mu) * rs * w[c] + b[c];
  }
}

static void scalar_adamw(float *p, const float *g, float *m, float *v, int64_t n, float lr,
                         float b1, float b2, float eps, float wd, float bc1, float bc2) {
  for (int64_t i = 0; i < n; i++) {
    p[i] -= lr * wd * p[i];
    m[i] = b1 * m[i] + (1 - b1) * g[i];
    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
    p[i] -= lr * (m[i] / bc1) / (sqrtf(v[i] / bc2) + eps);
  }
}

static void bench_row(const char *name, double fast, double slow) {
  printf("  %-28s %10.3f %10.3f %8.1fx\n", name, fast, slow, fast / slow);
}

static void bench(void) {
  const int64_t n = 1000000, small = 16384, big = 10000000;
  float *x = malloc(big * 4), *y = malloc(big * 4), *m = malloc(big * 4), *v = malloc(big * 4);
  for (int64_t i = 0; i < big; i++)
    x[i] = rand_uniform(-10, 10), y[i] = 0, m[i] = rand_normal() * 1e-2f, v[i] = 1e-4f;
  float w[384], b[384], *mean = malloc(6304 * 4), *rstd = malloc(6304 * 4);
  for (int i = 0; i < 384; i++) w[i] = 1, b[i] = 0;
  const float lr = 1e-3f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, wd = 0.01f, bc1 = 0.1f, bc2 = 1e-3f;

  printf("\nSpeed on one core, ISA %s, Gelem/s, best of 5 (scalar: plain C loops, libm, -O2)\n",
         pk_isa());
  printf("  %-28s %10s %10s %9s\n", "kernel", "plinth", "scalar", "speedup");
  bench_row("exp n=1e6", TIME_GELEMS(n, pk_exp(x, y, n)),
            TIME_GELEMS(n, for (int64_t i = 0; i < n; i++) y[i] = expf(x[i])));
  bench_row("exp n=16384", TIME_GELEMS(small, pk_exp(x, y, small)),
            TIME_GELEMS(small, for (int64_t i = 0; i < small; i++) y[i] = expf(x[i])));
  bench_row("gelu_erf n=1e6", TIME_GELEMS(n, pk_gelu_erf(x, y, n)),
            TIME_GELEMS(n, for (int64_t i = 0; i < n; i++)
                               y[i] = 0.5f * x[i] * (1 + erff(x[i] * 0.70710678f))));
  bench_row("softmax_rows 4096x197", TIME_GELEMS(4096 * 197, pk_softmax_rows(x, y, 4096, 197)),
            TIME_GELEMS(4096 * 197, scalar_softmax(x, y, 4096, 197)));
  bench_row("layer_norm_rows 6304x384",
            TIME_GELEMS(6304 * 384, pk_layer_norm_rows(x, w, b, y, mean, rstd, 6304, 384, 1e-5f)),
            TIME_GELEMS(6304 * 384, scalar_layer_norm(x, w, b, y, 6304, 384, 1e-5f)));
  bench_row("adamw_step n=1e7",
            TIME_GELEMS(big, pk_adamw_step(y, x, m, v, big, lr, b1, b2, eps, wd, bc1, bc2)),
            TIME_GELEMS(big, scalar_adamw(y, x, m, v, big, lr, b1, b2, eps, wd, bc1, bc2)));
  free(x), free(y), free(m), free(v), free(mean), free(rstd);
}

int main(int argc, char **argv) {
  int do_bench = 1;
  uint32_t stride = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--no-bench")) do_bench = 0;
    else if (!strcmp(argv[i], "--exhaustive") && i + 1 < argc) stride = (uint32_t)atoi(argv[++i]);
    else {
      fprintf(stderr, "usage: %s [--no-bench] [--exhaustive STRIDE]\n", argv[0]);
      return 2;
    }
  }
  printf("PlinthKernels check, ISA variant: %s\n", pk_isa());
  check_unaries();
  check_pow();
  check_binaries();
  check_backward();
  check_reductions();
  check_rows();
  check_layer_norm();
  check_adamw();
  check_in_place();
  if (stride) check_exhaustive(stride);

  printf("\n  %-36s %12s %8s  %-16s %s\n", "function", "max error", "tol", "unit", "at input");
  for (int i = 0; i < nstats; i++) {
    Stat *s = &stats[i];
    int bad = !(s->max_err <= s->tol);
    failed |= bad;
    printf("  %-36s %12.3f %8.2f  %-16s %-14.9g %s\n", s->name, s->max_err, s->tol, s->unit,
           s->worst_x, bad ? "FAIL" : "");
  }
  printf("\n%s (%s)\n", failed ? "FAILED" : "all within tolerance", pk_isa());
  if (do_bench) bench();
  return failed;
}
