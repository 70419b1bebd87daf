// Internal to PlinthKernels: float transcendentals on 16 lanes, branch-free so they
// vectorize, each accurate to a few ulp over the whole float range (inf, nan,
// overflow and subnormal results included).
//
// Exp and log follow Cephes (range reduction by ln 2 split Cody-Waite style, then a
// short polynomial). Everything else is built on a scaled exp, v_exp_scaled, so the
// tails of erf/gelu/sigmoid/silu keep their relative accuracy down to subnormals.
#ifndef PK_MATH_H
#define PK_MATH_H

#include "pk_simd.h"

#define PK_INF __builtin_inff()
#define PK_NAN __builtin_nanf("")

// A float vector as an unevaluated sum hi + lo (|lo| <= ulp(hi) / 2).
typedef struct {
  v16 hi, lo;
} v16x2;

// m * exp(hi + lo), rounded once at the end even when the result is subnormal.
//
// lo extends the argument's precision: an absolute error d in the argument is a
// relative error d in the result, so callers whose argument is a rounded product
// (x^2/2 in gelu, p*log(x) in pow) pass the rounding residue in lo. Pass -0.0f when
// there is none (x + -0.0 folds away) and m = 1 for plain exp (x * 1 folds too).
// m is applied before the power-of-two scaling, so m * exp(...) does not first round
// exp(...) to a subnormal. Below hi = -120 the result is 0 with m's sign, correctly
// rounded for |m| < 2^23 and finite for infinite m (x e^x -> -0 as x -> -inf). Where
// hi can overflow, m must be about 1.
PK_INLINE v16 v_exp_scaled(v16 hi, v16 lo, v16 m) {
  // Clamp to where the result is already 0 or inf. Written as selects on comparisons
  // so that nan falls through unchanged and comes out as nan.
  v16 x = v_sel(hi > 89.0f, v_splat(89.0f), hi);
  x = v_sel(x < -120.0f, v_splat(-120.0f), x);
  // n = round(x / ln 2): adding 1.5 * 2^23 rounds to an integer on every ISA (no
  // SSE4.1 round instruction needed), and leaves n in the low mantissa bits.
  v16 t = x * 1.44269504088896341f + 12582912.0f;
  v16 n = t - 12582912.0f;
  vi16 k = (vi16)t - 0x4b400000;
  // r = x - n ln 2, with ln 2 = C1 + C2 where C1 has 9 significant bits, so that n * C1
  // is exact and the subtraction loses nothing.
  v16 r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  r = r + lo;
  v16 r2 = r * r;
  v16 p = (((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r +
             4.1665795894e-2f) * r + 1.6666665459e-1f) * r + 5.0000001201e-1f) * r2 + r + 1.0f;
  // 2^k applied as 2^k1 * 2^k2, each factor a normal float for k in [-173, 128], so the
  // product is rounded once whether it ends up normal, subnormal, zero or inf.
  vi16 k1 = k >> 1, k2 = k - k1;
  v16 y = ((m * p) * (v16)((k1 + 127) << 23)) * (v16)((k2 + 127) << 23);
  return v_sel(hi < -120.0f, v_copysign(v_splat(0.0f), m), y);
}

PK_INLINE v16 v_exp(v16 x) { return v_exp_scaled(x, v_splat(-0.0f), v_splat(1.0f)); }

// Splits x > 0 (subnormals included) as 2^e * m with m in [sqrt(1/2), sqrt(2)).
// Other inputs give garbage that callers replace.
PK_INLINE void v_frexp_sqrt2(v16 x, v16 *e, v16 *m) {
  // Scale subnormals by 2^23 so their exponent field means something.
  vi16 tiny = x < 1.17549435e-38f;
  v16 xs = v_sel(tiny, x * 8388608.0f, x);
  vi16 bits = (vi16)xs;
  vi16 ei = ((bits >> 23) & 0xff) - 126 - (tiny & 23);
  v16 mm = (v16)((bits & 0x007fffff) | 0x3f000000);  // [0.5, 1)
  vi16 low = mm < 0.70710678118654752f;
  *e = __builtin_convertvector(ei + low, v16);  // low lanes are -1
  *m = v_sel(low, mm + mm, mm);
}

PK_INLINE v16 v_log(v16 x) {
  v16 e, m;
  v_frexp_sqrt2(x, &e, &m);
  m = m - 1.0f;  // exact
  v16 z = m * m;
  v16 y = ((((((((7.0376836292e-2f * m - 1.1514610310e-1f) * m + 1.1676998740e-1f) * m -
                1.2420140846e-1f) * m + 1.4249322787e-1f) * m - 1.6668057665e-1f) * m +
             2.0000714765e-1f) * m - 2.4999993993e-1f) * m + 3.3333331174e-1f) * m * z;
  y = y + e * -2.12194440e-4f;
  y = y - 0.5f * z;
  v16 r = m + y;
  r = r + e * 0.693359375f;
  r = v_sel(x == PK_INF, x, r);
  r = v_sel(x == 0.0f, v_splat(-PK_INF), r);  // also -0
  return v_sel((x < 0.0f) | (x != x), v_splat(PK_NAN), r);
}

// log|x| in double (to ~1e-15 relative), as two halves of 8 lanes; for pow, whose
// p * log|x| must be accurate well beyond float precision.
PK_INLINE void v_log_abs_d(v16 x, v8d *lo, v8d *hi) {
  v16 a = v_abs(x), e, m;
  v_frexp_sqrt2(a, &e, &m);
  v8d out[2];
  for (int h = 0; h < 2; h++) {
    v8d md = h ? v_hi_d(m) : v_lo_d(m), ed = h ? v_hi_d(e) : v_lo_d(e);
    v8d ad = h ? v_hi_d(a) : v_lo_d(a);
    // log m = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.172; the series to s^13 leaves
    // a relative error below 2e-12.
    v8d s = (md - 1.0) / (md + 1.0), s2 = s * s;
    v8d q = (((((s2 * (1.0 / 13) + 1.0 / 11) * s2 + 1.0 / 9) * s2 + 1.0 / 7) * s2 + 1.0 / 5) * s2 +
             1.0 / 3) * s2;
    v8d r = ed * 0.69314718055994530942 + (2.0 * s + 2.0 * s * q);
    r = v_seld(ad == __builtin_inf(), ad, r);
    r = v_seld(ad == 0.0, ad - __builtin_inf(), r);
    out[h] = v_seld(ad != ad, ad, r);
  }
  *lo = out[0];
  *hi = out[1];
}

// Rounds a double pair to float hi + lo, clamped to [-200, 200] first so that
// infinite arguments still give a finite lo (v_exp_scaled saturates well inside).
PK_INLINE v16x2 v_split_d(v8d a, v8d b) {
  v8d lim = {200, 200, 200, 200, 200, 200, 200, 200};
  a = v_seld(a < -lim, -lim, v_seld(a > lim, lim, a));
  b = v_seld(b < -lim, -lim, v_seld(b > lim, lim, b));
  v16 hi = v_join_f(a, b);
  v16 lo = v_join_f(a - v_lo_d(hi), b - v_hi_d(hi));
  return (v16x2){hi, lo};
}

// Cephes tanhf on |x| (odd polynomial below 0.625, 1 - 2/(exp(2|x|) + 1) above), then
// the sign of x, which also gives tanh(-0) = -0.
PK_INLINE v16 v_tanh(v16 x) {
  v16 a = v_abs(x), z = a * a;
  v16 small = ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z +
                1.33314422036e-1f) * z - 3.33332819422e-1f) * z * a + a;
  v16 big = 1.0f - 2.0f / (v_exp(a + a) + 1.0f);
  return v_copysign(v_sel(a < 0.625f, small, big), x);
}

// Below this, erf uses its Taylor-like polynomial; above, erfc = exp(-a^2) erfcx(a).
#define PK_ERF_SPLIT 0.921875f

// erf(a) for 0 <= a <= PK_ERF_SPLIT: a + a P(a^2), minimax relative error 0.02 ulp.
// Leaving the leading 1 out of P keeps the rounding of 2/sqrt(pi) out of the result.
PK_INLINE v16 v_erf_small(v16 a) {
  v16 z = a * a;
  v16 p = (((((7.991272286744788e-05f * z - 8.04888317361474e-04f) * z + 5.1923589780926704e-03f) *
                z - 2.6855723932385445e-02f) * z + 1.1283625662326813e-01f) * z -
           3.761262893676758e-01f) * z + 1.2837916612625122e-01f;
  return a + a * p;
}

// erfcx(a) = erfc(a) exp(a^2) for 0 <= a <= 16: a [4/5] rational minimax fit on
// [0, 10.1] (0.37 ulp with these float coefficients; beyond 10.1 erfc underflows
// anyway). It is a rational in a itself, with positive coefficients, so no argument
// reduction amplifies rounding; the expression is shared by float and double callers.
#define PK_ERFCX(a)                                                                       \
  (((((0.03255589306354523f * (a) + 0.22815759479999542f) * (a) + 0.7294670343399048f) * \
      (a) + 1.2364689111709595f) * (a) + 1.0f) /                                         \
   (((((0.05770309641957283f * (a) + 0.40442585945129395f) * (a) + 1.3213597536087036f) * \
       (a) + 2.3979055881500244f) * (a) + 2.3648483753204346f) * (a) + 1.0f))

// Float evaluation costs a few ulp of erfcx, which erf = 1 - erfc scales down to
// below one ulp. Clamping keeps the value finite for huge or infinite a, where
// exp(-a^2) makes it irrelevant.
PK_INLINE v16 v_erfcx(v16 a) {
  a = v_sel(a > 16.0f, v_splat(16.0f), a);
  return PK_ERFCX(a);
}

PK_INLINE v16 v_erf(v16 x) {
  v16 a = v_abs(x);
  // Rounding a^2 moves erfc by up to a relative 2e-6 at a = 3.9 (beyond which erf
  // rounds to 1), far below an ulp of erf = 1 - erfc, so no extra precision needed.
  v16 erfc = v_exp_scaled(-(a * a), v_splat(-0.0f), v_erfcx(a));
  v16 r = v_sel(a < PK_ERF_SPLIT, v_erf_small(a), 1.0f - erfc);
  return v_copysign(r, x);
}

// The gelu (erf) tails are relative-accurate: with t = 0.5 erfc(|x|/sqrt2) =
// 0.5 erfcx(|x|/sqrt2) exp(-x^2/2), Phi(x) is t for x < 0 and 1 - t for x >= 0, so the
// left tail never cancels against 1. Both factors of t are formed in double: the
// exponent -x^2/2 reaches ~100 while gelu is still nonzero (an error d in it is a
// relative error d in the result), and a float erfcx would cost ~5 ulp.

// 0.5 erfcx(|x|/sqrt2) for one 8-lane double half of x.
PK_INLINE v8d v_half_erfcx_d(v8d x) {
  v8d a = (v8d)((vl8)x & 0x7fffffffffffffff) * 0.70710678118654752;
  v8d cap = {16, 16, 16, 16, 16, 16, 16, 16};
  a = v_seld(a > cap, cap, a);
  return 0.5 * PK_ERFCX(a);
}

// hi + lo = -x^2/2.
PK_INLINE v16x2 v_neg_half_square(v16 x) {
  v8d a = v_lo_d(x), b = v_hi_d(x);
  return v_split_d(-0.5 * a * a, -0.5 * b * b);
}

// x Phi(x), Phi the standard normal CDF.
PK_INLINE v16 v_gelu_erf(v16 x) {
  v8d a = v_lo_d(x), b = v_hi_d(x), one = {1, 1, 1, 1, 1, 1, 1, 1};
  v8d ma = v_half_erfcx_d(a) * v_seld(a < 0.0, a, one);  // times x for x < 0
  v8d mb = v_half_erfcx_d(b) * v_seld(b < 0.0, b, one);
  v16x2 h = v_neg_half_square(x);
  v16 t = v_exp_scaled(h.hi, h.lo, v_join_f(ma, mb));
  return v_sel(x < 0.0f, t, x * (1.0f - t));
}

// gy d/dx [x Phi(x)] = gy (Phi + x phi), phi = exp(-x^2/2) / sqrt(2 pi). With
// q = 0.5 erfcx(|x|/sqrt2) both terms share E = exp(-x^2/2):
//   x < 0:  Phi + x phi = E (q + x/sqrt(2pi))
//   x >= 0: Phi + x phi = 1 + E (x/sqrt(2pi) - q)
// so one exp serves both, and the multiplier of E is formed in double.
PK_INLINE v16 v_gelu_erf_backward(v16 x, v16 gy) {
  v8d xs[2] = {v_lo_d(x), v_hi_d(x)}, gs[2] = {v_lo_d(gy), v_hi_d(gy)}, ms[2];
  for (int i = 0; i < 2; i++) {
    v8d q = v_half_erfcx_d(xs[i]);
    ms[i] = gs[i] * (xs[i] * 0.39894228040143268 + v_seld(xs[i] < 0.0, q, -q));
  }
  v16x2 h = v_neg_half_square(x);
  return v_sel(x < 0.0f, v_splat(0.0f), gy) + v_exp_scaled(h.hi, h.lo, v_join_f(ms[0], ms[1]));
}

// x * sigmoid(w) where hi + lo = -|w| and w has the sign of x: x / (1 + e) for x >= 0
// and x e / (1 + e) for x < 0, with e = exp(-|w|) <= 1, so neither side overflows or
// cancels, and x e is formed inside the exp scaling (no subnormal double rounding).
PK_INLINE v16 v_x_sigmoid(v16 x, v16 hi, v16 lo) {
  v16 e = v_exp_scaled(hi, lo, v_splat(1.0f));
  v16 num = v_sel(x < 0.0f, v_exp_scaled(hi, lo, x), x);
  return num / (1.0f + e);
}

// gy * d/dx [x sigmoid(w(x))] with hi + lo = -|w|, xw = x w'(x):
//   sigmoid(w) (1 + x w' (1 - sigmoid(w))), evaluated with e = exp(-|w|) as in
//   v_x_sigmoid: x >= 0: (1 + xw e/(1+e)) / (1+e);  x < 0: e (1 + xw/(1+e)) / (1+e).
PK_INLINE v16 v_x_sigmoid_backward(v16 x, v16 hi, v16 lo, v16 xw, v16 gy) {
  v16 d = 1.0f + v_exp_scaled(hi, lo, v_splat(1.0f));
  v16 t = v_sel(x < 0.0f, xw, v_exp_scaled(hi, lo, xw)) / d;
  v16 g = gy * (1.0f + t) / d;
  return v_sel(x < 0.0f, v_exp_scaled(hi, lo, g), g);
}

PK_INLINE v16 v_sigmoid(v16 x) {
  v16 e = v_exp(-v_abs(x));
  return v_sel(x < 0.0f, e, v_splat(1.0f)) / (1.0f + e);
}

PK_INLINE v16 v_silu(v16 x) { return v_x_sigmoid(x, -v_abs(x), v_splat(-0.0f)); }

PK_INLINE v16 v_silu_backward(v16 x, v16 gy) {
  return v_x_sigmoid_backward(x, -v_abs(x), v_splat(-0.0f), x, gy);
}

// gelu_tanh(x) = 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3), is exactly
// x sigmoid(2u). 2u is formed in double: it reaches ~100 before the result underflows,
// and its float rounding would cost up to ~100 ulp there.
#define PK_GELU_K1 1.5957691216057308  // 2 sqrt(2/pi)
#define PK_GELU_K3 0.071354816272600249  // 2 sqrt(2/pi) * 0.044715

PK_INLINE v16x2 v_gelu_tanh_arg(v16 x) {  // -|2u|
  v8d a = v_lo_d(x), b = v_hi_d(x);
  a = a * (PK_GELU_K1 + PK_GELU_K3 * a * a);
  b = b * (PK_GELU_K1 + PK_GELU_K3 * b * b);
  return v_split_d(-(v8d)((vl8)a & 0x7fffffffffffffff), -(v8d)((vl8)b & 0x7fffffffffffffff));
}

PK_INLINE v16 v_gelu_tanh(v16 x) {
  v16x2 h = v_gelu_tanh_arg(x);
  return v_x_sigmoid(x, h.hi, h.lo);
}

PK_INLINE v16 v_gelu_tanh_backward(v16 x, v16 gy) {
  v16x2 h = v_gelu_tanh_arg(x);
  v16 xw = x * ((float)PK_GELU_K1 + (float)(3 * PK_GELU_K3) * (x * x));
  return v_x_sigmoid_backward(x, h.hi, h.lo, xw, gy);
}

#endif
