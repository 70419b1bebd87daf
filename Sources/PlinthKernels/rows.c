// Reductions and row kernels: sum, dot, max, per-row sum/max/logsumexp, softmax,
// log-softmax and layer norm, forward and backward.
#include "PlinthKernels.h"
#include "pk_math.h"

// ---- Summation ----
//
// Sums use four vector accumulators (64 independent partial sums, enough to hide add
// latency) within 1024-element blocks, and add block sums pairwise, so rounding error
// grows like log(n) rather than n while the inner loop stays a plain stream of adds.

enum { T_SUM, T_DOT, T_SQDEV, T_EXPDEV };

// acc plus the term over span sp: x, x*y, (x - c)^2 or exp(x - c), with stale lanes
// contributing 0. Written as one expression per case so multiply-adds fuse. T_EXPDEV
// also stores its terms to out when out is non-null (softmax keeps them).
PK_INLINE v16 v_accumulate(int op, v16 acc, const float *x, const float *y, float c, float *out,
                           Span sp) {
  v16 a = v_span_load(x, sp, 0.0f), b = y ? v_span_load(y, sp, 0.0f) : v_splat(0.0f);
  switch (op) {
    case T_SUM: return acc + v_fresh(sp, a);
    case T_DOT: return acc + v_fresh(sp, a) * v_fresh(sp, b);
    case T_SQDEV: {
      v16 d = v_fresh(sp, a - c);
      return acc + d * d;
    }
    default: {
      v16 e = v_exp(a - c);
      if (out) v_span_store(out, sp, e);
      return acc + v_fresh(sp, e);
    }
  }
}

// Sum of the terms over [b, end) as 16 lanes, in four independent accumulators.
// The row's tail, if any, is in the last block: n is the row length.
PK_INLINE v16 v_block_sum(int op, const float *x, const float *y, float c, float *out,
                          int64_t b, int64_t end, int64_t n) {
  v16 s0 = v_splat(0.0f), s1 = s0, s2 = s0, s3 = s0;
  int64_t i = b;
  for (; i + 4 * PK_W <= end; i += 4 * PK_W) {
    s0 = v_accumulate(op, s0, x, y, c, out, v_full(i));
    s1 = v_accumulate(op, s1, x, y, c, out, v_full(i + PK_W));
    s2 = v_accumulate(op, s2, x, y, c, out, v_full(i + 2 * PK_W));
    s3 = v_accumulate(op, s3, x, y, c, out, v_full(i + 3 * PK_W));
  }
  for (; i + PK_W <= end; i += PK_W) s0 = v_accumulate(op, s0, x, y, c, out, v_full(i));
  if (i < end) s1 = v_accumulate(op, s1, x, y, c, out, v_tail(n));
  return (s0 + s1) + (s2 + s3);
}

// Sum of the terms over [0, n). Rows up to 1024 elements are one block; longer ones
// add their 1024-element block sums pairwise.
PK_INLINE float v_reduce(int op, const float *x, const float *y, float c, float *out, int64_t n) {
  if (n <= 1024) return v_hsum(v_block_sum(op, x, y, c, out, 0, n, n));
  v16 stack[64];  // pending block sums, each covering twice the blocks of the next
  int depth = 0;
  int64_t blocks = 0;
  for (int64_t b = 0; b < n; b += 1024) {
    v16 s = v_block_sum(op, x, y, c, out, b, n - b < 1024 ? n : b + 1024, n);
    // Binary-counter merge: block number `blocks` closes one pair per trailing 1 bit.
    for (int64_t count = blocks++; count & 1; count >>= 1) s = stack[--depth] + s;
    stack[depth++] = s;
  }
  v16 s = v_splat(0.0f);
  while (depth > 0) s = stack[--depth] + s;  // smallest partial sums first
  return v_hsum(s);
}

// Max of x[0, n), -inf when n == 0, nan when any element is nan. Stale tail lanes
// hold elements already seen (or -inf padding), which max may see twice.
PK_INLINE float v_max_of(const float *x, int64_t n) {
  v16 m = v_splat(-PK_INF);
  vi16 nan = (vi16){0};
  PK_FOR_SPANS(sp, n, {
    v16 a = v_span_load(x, sp, -PK_INF);
    m = v_sel(a > m, a, m);
    nan |= a != a;
  });
  return __builtin_reduce_or(nan) ? PK_NAN : v_hmax(m);
}

// Scalar log and sqrt through the vector code, so no libm is needed.
PK_INLINE float v_log1(float x) { return v_log(v_splat(x))[0]; }
PK_INLINE float v_sqrt1(float x) { return v_sqrt(v_splat(x))[0]; }

PK_INLINE float pk_sum_body(const float *x, int64_t n) { return v_reduce(T_SUM, x, 0, 0, 0, n); }
PK_DISPATCH(float, pk_sum, (const float *x, int64_t n), (x, n))

PK_INLINE float pk_dot_body(const float *a, const float *b, int64_t n) {
  return v_reduce(T_DOT, a, b, 0, 0, n);
}
PK_DISPATCH(float, pk_dot, (const float *a, const float *b, int64_t n), (a, b, n))

PK_INLINE float pk_max_body(const float *x, int64_t n) { return v_max_of(x, n); }
PK_DISPATCH(float, pk_max, (const float *x, int64_t n), (x, n))

// ---- Row kernels ----

PK_INLINE void pk_sum_rows_body(const float *x, float *y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++) y[r] = v_reduce(T_SUM, x + r * cols, 0, 0, 0, cols);
}
PK_DISPATCH_VOID(pk_sum_rows, (const float *x, float *y, int64_t rows, int64_t cols),
                 (x, y, rows, cols))

// First index holding m (or the first nan when m is nan) in row[0, cols).
PK_INLINE int64_t v_find(const float *row, int64_t cols, float m) {
  int is_nan = m != m;
  PK_FOR_SPANS(sp, cols, {
    v16 a = v_span_load(row, sp, 0.0f);
    vi16 hit = (is_nan ? a != a : a == m) & sp.fresh;
    if (__builtin_reduce_or(hit))
      for (int j = 0;; j++)
        if (hit[j]) return sp.at + j;
  });
  return 0;  // cols == 0
}

PK_INLINE void pk_max_rows_body(const float *x, float *y, int64_t *idx, int64_t rows,
                                int64_t cols) {
  for (int64_t r = 0; r < rows; r++) {
    y[r] = v_max_of(x + r * cols, cols);
    if (idx) idx[r] = v_find(x + r * cols, cols, y[r]);
  }
}
PK_DISPATCH_VOID(pk_max_rows, (const float *x, float *y, int64_t *idx, int64_t rows, int64_t cols),
                 (x, y, idx, rows, cols))

// log sum exp(x) = m + log sum exp(x - m), m the row max. An infinite m is replaced by
// 0 so that all -inf rows give -inf and rows holding +inf give +inf, not nan.
PK_INLINE void pk_logsumexp_rows_body(const float *x, float *y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++) {
    const float *row = x + r * cols;
    float m = v_max_of(row, cols);
    if (m == PK_INF || m == -PK_INF) m = 0.0f;
    y[r] = m + v_log1(v_reduce(T_EXPDEV, row, 0, m, 0, cols));
  }
}
PK_DISPATCH_VOID(pk_logsumexp_rows, (const float *x, float *y, int64_t rows, int64_t cols),
                 (x, y, rows, cols))

// exp(x - m) is stored while it is summed, then scaled by 1/sum: two passes over y
// after the max pass. A row that is all -inf (or holds +inf) gives nan, as in PyTorch.
PK_INLINE void pk_softmax_rows_body(const float *x, float *y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++) {
    const float *row = x + r * cols;
    float *out = y + r * cols;
    float m = v_max_of(row, cols);
    float inv = 1.0f / v_reduce(T_EXPDEV, row, 0, m, out, cols);
    PK_FOR_SPANS(sp, cols, v_span_store(out, sp, v_span_load(out, sp, 0.0f) * inv));
  }
}
PK_DISPATCH_VOID(pk_softmax_rows, (const float *x, float *y, int64_t rows, int64_t cols),
                 (x, y, rows, cols))

// y = (x - m) - log sum exp(x - m): subtracting m first keeps the result's precision
// when |m| is much larger than the log of the sum.
PK_INLINE void pk_log_softmax_rows_body(const float *x, float *y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++) {
    const float *row = x + r * cols;
    float *out = y + r * cols;
    float m = v_max_of(row, cols);
    float ls = v_log1(v_reduce(T_EXPDEV, row, 0, m, 0, cols));
    PK_FOR_SPANS(sp, cols, v_span_store(out, sp, (v_span_load(row, sp, 0.0f) - m) - ls));
  }
}
PK_DISPATCH_VOID(pk_log_softmax_rows, (const float *x, float *y, int64_t rows, int64_t cols),
                 (x, y, rows, cols))

PK_INLINE void pk_softmax_backward_rows_body(const float *y, const float *gy, float *gx,
                                             int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++) {
    const float *yr = y + r * cols, *gr = gy + r * cols;
    float *out = gx + r * cols;
    float s = v_reduce(T_DOT, gr, yr, 0, 0, cols);
    PK_FOR_SPANS(sp, cols, {
      v16 a = v_span_load(yr, sp, 0.0f), g = v_span_load(gr, sp, 0.0f);
      v_span_store(out, sp, a * (g - s));
    });
  }
}
PK_DISPATCH_VOID(pk_softmax_backward_rows,
                 (const float *y, const float *gy, float *gx, int64_t rows, int64_t cols),
                 (y, gy, gx, rows, cols))

PK_INLINE void pk_log_softmax_backward_rows_body(const float *y, const float *gy, float *gx,
                                                 int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++) {
    const float *yr = y + r * cols, *gr = gy + r * cols;
    float *out = gx + r * cols;
    float s = v_reduce(T_SUM, gr, 0, 0, 0, cols);
    PK_FOR_SPANS(sp, cols, {
      v16 a = v_span_load(yr, sp, 0.0f), g = v_span_load(gr, sp, 0.0f);
      v_span_store(out, sp, g - v_exp(a) * s);
    });
  }
}
PK_DISPATCH_VOID(pk_log_softmax_backward_rows,
                 (const float *y, const float *gy, float *gx, int64_t rows, int64_t cols),
                 (y, gy, gx, rows, cols))

// ---- Layer norm ----

// Two passes for the statistics (mean, then the mean of squared deviations), so the
// variance does not cancel when |mean| >> std, then one pass writing y. The w and b
// branches are loop-invariant and predicted, which is cheaper than four loops.
PK_INLINE void pk_layer_norm_rows_body(const float *x, const float *w, const float *b, float *y,
                                       float *mean, float *rstd, int64_t rows, int64_t cols,
                                       float eps) {
  for (int64_t r = 0; r < rows; r++) {
    const float *row = x + r * cols;
    float *out = y + r * cols;
    float mu = v_reduce(T_SUM, row, 0, 0, 0, cols) / (float)cols;
    float var = v_reduce(T_SQDEV, row, 0, mu, 0, cols) / (float)cols;
    float rs = 1.0f / v_sqrt1(var + eps);
    PK_FOR_SPANS(sp, cols, {
      v16 v = (v_span_load(row, sp, 0.0f) - mu) * rs;
      if (w) v = v * v_span_load(w, sp, 0.0f);
      if (b) v = v + v_span_load(b, sp, 0.0f);
      v_span_store(out, sp, v);
    });
    if (mean) mean[r] = mu;
    if (rstd) rstd[r] = rs;
  }
}
PK_DISPATCH_VOID(pk_layer_norm_rows,
                 (const float *x, const float *w, const float *b, float *y, float *mean,
                  float *rstd, int64_t rows, int64_t cols, float eps),
                 (x, w, b, y, mean, rstd, rows, cols, eps))

// With xhat = (x - mean) rstd and g = gy w:
//   gx = rstd (g - mean(g) - xhat mean(g xhat)),  gw += gy xhat,  gb += gy.
// Pass 1 forms both means (and the gw/gb updates), pass 2 writes gx; gx may be gy.
PK_INLINE void pk_layer_norm_backward_rows_body(const float *x, const float *w, const float *mean,
                                                const float *rstd, const float *gy, float *gx,
                                                float *gw, float *gb, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * cols, *gr = gy + r * cols;
    float *out = gx + r * cols;
    float mu = mean[r], rs = rstd[r];
    v16 sg = v_splat(0.0f), sgx = sg;
    PK_FOR_SPANS(sp, cols, {
      v16 xh = (v_span_load(xr, sp, 0.0f) - mu) * rs, g0 = v_span_load(gr, sp, 0.0f);
      v16 g = w ? g0 * v_span_load(w, sp, 0.0f) : g0;
      sg += v_fresh(sp, g);
      sgx += v_fresh(sp, g * xh);
      if (gw) v_span_store(gw, sp, v_span_load(gw, sp, 0.0f) + g0 * xh);
      if (gb) v_span_store(gb, sp, v_span_load(gb, sp, 0.0f) + g0);
    });
    float mg = v_hsum(sg) / (float)cols, mgx = v_hsum(sgx) / (float)cols;
    PK_FOR_SPANS(sp, cols, {
      v16 xh = (v_span_load(xr, sp, 0.0f) - mu) * rs, g = v_span_load(gr, sp, 0.0f);
      if (w) g = g * v_span_load(w, sp, 0.0f);
      v_span_store(out, sp, (g - mg - xh * mgx) * rs);
    });
  }
}
PK_DISPATCH_VOID(pk_layer_norm_backward_rows,
                 (const float *x, const float *w, const float *mean, const float *rstd,
                  const float *gy, float *gx, float *gw, float *gb, int64_t rows, int64_t cols),
                 (x, w, mean, rstd, gy, gx, gw, gb, rows, cols))
