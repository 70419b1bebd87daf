// Elementwise kernels: binary, scalar, unary and unary-backward maps, pow, clamp.
//
// Every loop loads a full vector of each input before storing the output vector, so
// outputs may be the same array as an input. The last n % 16 elements go through the
// same vector code (see Span in pk_simd.h), so they get bit-identical results.
#include "PlinthKernels.h"
#include "pk_math.h"

const char *pk_isa(void) {
  static const char *const names[] = {"baseline", "avx2", "avx512"};
  return names[pk_isa_level()];
}

// void name(const float *x, float *y, int64_t n): y = EXPR, EXPR a v16 expression in
// the vector `x`. Padding lanes of short tails are 1, harmless for every EXPR here.
#define PK_MAP1(name, EXPR)                                                           \
  PK_INLINE void name##_body(const float *px, float *py, int64_t n) {                 \
    PK_FOR_SPANS(s, n, {                                                              \
      v16 x = v_span_load(px, s, 1.0f);                                               \
      v_span_store(py, s, (EXPR));                                                    \
    });                                                                               \
  }                                                                                   \
  PK_DISPATCH_VOID(name, (const float *px, float *py, int64_t n), (px, py, n))

// void name(const float *pa, const float *pb, float *py, int64_t n): y = EXPR, with
// the input vectors named A and B.
#define PK_MAP2(name, A, B, EXPR)                                                      \
  PK_INLINE void name##_body(const float *pa, const float *pb, float *py, int64_t n) { \
    PK_FOR_SPANS(s, n, {                                                               \
      v16 A = v_span_load(pa, s, 1.0f), B = v_span_load(pb, s, 1.0f);                  \
      v_span_store(py, s, (EXPR));                                                     \
    });                                                                                \
  }                                                                                    \
  PK_DISPATCH_VOID(name, (const float *pa, const float *pb, float *py, int64_t n),     \
                   (pa, pb, py, n))

// void name(const float *pa, float c, float *py, int64_t n): y = EXPR in `a` and `c`.
#define PK_MAP1S(name, EXPR)                                                          \
  PK_INLINE void name##_body(const float *pa, float c, float *py, int64_t n) {        \
    PK_FOR_SPANS(s, n, {                                                              \
      v16 a = v_span_load(pa, s, 1.0f);                                               \
      v_span_store(py, s, (EXPR));                                                    \
    });                                                                               \
  }                                                                                   \
  PK_DISPATCH_VOID(name, (const float *pa, float c, float *py, int64_t n), (pa, c, py, n))

// ---- Binary ----
PK_MAP2(pk_add, a, b, a + b)
PK_MAP2(pk_sub, a, b, a - b)
PK_MAP2(pk_mul, a, b, a * b)
PK_MAP2(pk_div, a, b, a / b)
// nan in either input gives nan (as torch.maximum / torch.minimum).
PK_MAP2(pk_maximum, a, b, v_sel(a != a, a, v_sel(a > b, a, b)))
PK_MAP2(pk_minimum, a, b, v_sel(a != a, a, v_sel(a < b, a, b)))

// ---- With a scalar ----
PK_MAP1S(pk_add_scalar, a + c)
PK_MAP1S(pk_mul_scalar, a * c)
PK_MAP1S(pk_rsub_scalar, c - a)
PK_MAP1S(pk_rdiv_scalar, c / a)

PK_INLINE void pk_axpy_body(float alpha, const float *x, float *y, int64_t n) {
  PK_FOR_SPANS(s, n,
               v_span_store(y, s, v_span_load(y, s, 0.0f) + alpha * v_span_load(x, s, 0.0f)));
}
PK_DISPATCH_VOID(pk_axpy, (float alpha, const float *x, float *y, int64_t n), (alpha, x, y, n))

PK_INLINE void pk_fill_body(float *y, float value, int64_t n) {
  PK_FOR_SPANS(s, n, v_span_store(y, s, v_splat(value)));
}
PK_DISPATCH_VOID(pk_fill, (float *y, float value, int64_t n), (y, value, n))

// ---- Unary ----
PK_MAP1(pk_neg, -x)
PK_MAP1(pk_abs, v_abs(x))
PK_MAP1(pk_exp, v_exp(x))
PK_MAP1(pk_log, v_log(x))
PK_MAP1(pk_sqrt, v_sqrt(x))
PK_MAP1(pk_rsqrt, 1.0f / v_sqrt(x))  // correctly rounded sqrt, then one division
PK_MAP1(pk_tanh, v_tanh(x))
PK_MAP1(pk_erf, v_erf(x))
PK_MAP1(pk_sigmoid, v_sigmoid(x))
PK_MAP1(pk_relu, v_sel(x <= 0.0f, v_splat(0.0f), x))  // relu(nan) = nan, relu(-0) = +0
PK_MAP1(pk_gelu_erf, v_gelu_erf(x))
PK_MAP1(pk_gelu_tanh, v_gelu_tanh(x))
PK_MAP1(pk_silu, v_silu(x))

// lo <= x <= hi, as min(max(x, lo), hi) (so hi wins if lo > hi); nan stays nan.
PK_INLINE v16 v_clamp(v16 x, float lo, float hi) {
  x = v_sel(x < lo, v_splat(lo), x);
  return v_sel(x > hi, v_splat(hi), x);
}
PK_INLINE void pk_clamp_body(const float *px, float lo, float hi, float *py, int64_t n) {
  PK_FOR_SPANS(s, n, v_span_store(py, s, v_clamp(v_span_load(px, s, 0.0f), lo, hi)));
}
PK_DISPATCH_VOID(pk_clamp, (const float *x, float lo, float hi, float *y, int64_t n),
                 (x, lo, hi, y, n))

// ---- pow with a scalar exponent, C99 powf semantics ----

// Any p other than 0, nan and +-inf: |x|^p = exp(p log|x|) with p log|x| in double,
// then the sign and nan rules for negative x. Zero and infinite x come out right
// through log|x| = -+inf and the saturation of v_exp_scaled.
PK_INLINE v16 v_pow_finite(v16 x, float p, int p_is_int, int p_is_odd) {
  v8d l0, l1;
  v_log_abs_d(x, &l0, &l1);
  v16x2 h = v_split_d(l0 * (double)p, l1 * (double)p);
  // Negative results need a set sign bit (-0 included) and an odd p.
  v16 sign = v_sel(((vi16)x < 0) & -p_is_odd, v_splat(-1.0f), v_splat(1.0f));
  v16 y = v_exp_scaled(h.hi, h.lo, sign);
  // Finite negative x to a non-integer power has no real value.
  return v_sel((x < 0.0f) & (x > -PK_INF) & -!p_is_int, v_splat(PK_NAN), y);
}

// p = +-inf: 1 at |x| = 1, else 0 or inf by whether |x| < 1 and p < 0 agree.
PK_INLINE v16 v_pow_inf(v16 x, float p) {
  v16 a = v_abs(x);
  vi16 grows = (a > 1.0f) ^ -(p < 0.0f);
  v16 y = v_sel(grows, v_splat(PK_INF), v_splat(0.0f));
  y = v_sel(a == 1.0f, v_splat(1.0f), y);
  return v_sel(x != x, x, y);
}

PK_INLINE v16 v_pow_vec(v16 x, float p, int kind, int p_is_int, int p_is_odd) {
  switch (kind) {
    case 0: return v_splat(1.0f);                                     // p == 0
    case 1: return v_sel(x == 1.0f, v_splat(1.0f), v_splat(PK_NAN));  // p nan
    case 2: return v_pow_inf(x, p);
    case 3: return x;                                                  // p == 1
    case 4: return x * x;                                              // p == 2
    case 5: return v_sel(x == -PK_INF, v_splat(PK_INF), v_sqrt(x) + 0.0f);  // p == 0.5
    default: return v_pow_finite(x, p, p_is_int, p_is_odd);
  }
}

PK_INLINE void pk_pow_scalar_body(const float *px, float p, float *py, int64_t n) {
  // Classify p once; the exact cases are both faster and exactly rounded.
  int kind = p == 0.0f ? 0 : p != p ? 1 : (p == PK_INF || p == -PK_INF) ? 2
           : p == 1.0f ? 3 : p == 2.0f ? 4 : p == 0.5f ? 5 : 6;
  float ap = p < 0 ? -p : p;
  int p_is_int = 0, p_is_odd = 0;
  if (kind == 6) {  // p finite: converting to int32 is defined below 2^31
    p_is_int = ap >= 8388608.0f || (float)(int32_t)p == p;  // floats >= 2^23 are integers
    p_is_odd = p_is_int && ap < 16777216.0f && ((int32_t)p & 1);
  }
  PK_FOR_SPANS(s, n, {
    v16 x = v_span_load(px, s, 1.0f);
    v_span_store(py, s, v_pow_vec(x, p, kind, p_is_int, p_is_odd));
  });
}
PK_DISPATCH_VOID(pk_pow_scalar, (const float *x, float p, float *y, int64_t n), (x, p, y, n))

// ---- Backward ----
PK_MAP2(pk_relu_backward, x, gy, v_sel(x <= 0.0f, v_splat(0.0f), gy))
PK_MAP2(pk_gelu_erf_backward, x, gy, v_gelu_erf_backward(x, gy))
PK_MAP2(pk_gelu_tanh_backward, x, gy, v_gelu_tanh_backward(x, gy))
PK_MAP2(pk_silu_backward, x, gy, v_silu_backward(x, gy))
// (1 - y)(1 + y) rather than 1 - y^2: 1 - y is exact for y near 1, where 1 - y^2 cancels.
PK_MAP2(pk_tanh_backward, y, gy, gy * ((1.0f - y) * (1.0f + y)))
PK_MAP2(pk_sigmoid_backward, y, gy, gy * (y * (1.0f - y)))
