// Plinth's SIMD kernels: elementwise, reductions, softmax, layer norm, GELU, AdamW.
//
// Contract for every function:
// - Arrays are contiguous float32; `n` counts elements, `rows`/`cols` describe a
//   row-major [rows, cols] block.
// - Outputs may alias inputs of the same size (in-place use), unless noted.
// - Each function is single-threaded; callers split work across cores.
// - Each function is compiled for AVX-512, AVX2+FMA and baseline x86-64 and the
//   variant is chosen once at load time from the CPU's features, so no
//   per-machine build flags are needed.
// - Transcendentals are accurate to a few ulp of the correctly rounded result
//   over the whole float range, including inf, nan and overflow
//   (benchmarks/kernels/run.sh measures every function against libm).
// - Special values follow PyTorch: maximum, minimum and clamp propagate nan
//   (clamp returns hi when lo > hi); relu(nan) is nan and relu_backward passes
//   gy where x is nan; pk_max_rows reports the first nan; softmax of an all
//   -inf row is nan and its logsumexp -inf.
// - Results may differ in the last bit between variants (AVX2 and AVX-512 fuse
//   multiply-adds); on one machine they are deterministic.
#ifndef PLINTH_KERNELS_H
#define PLINTH_KERNELS_H

#include <stdint.h>

// Name of the variant picked for this CPU: "avx512", "avx2" or "baseline".
const char *pk_isa(void);

// ---- Binary, elementwise: y[i] = a[i] op b[i] ----
void pk_add(const float *a, const float *b, float *y, int64_t n);
void pk_sub(const float *a, const float *b, float *y, int64_t n);
void pk_mul(const float *a, const float *b, float *y, int64_t n);
void pk_div(const float *a, const float *b, float *y, int64_t n);
void pk_maximum(const float *a, const float *b, float *y, int64_t n);
void pk_minimum(const float *a, const float *b, float *y, int64_t n);

// ---- With a scalar ----
void pk_add_scalar(const float *a, float s, float *y, int64_t n);   // y = a + s
void pk_mul_scalar(const float *a, float s, float *y, int64_t n);   // y = a * s
void pk_rsub_scalar(const float *a, float s, float *y, int64_t n);  // y = s - a
void pk_rdiv_scalar(const float *a, float s, float *y, int64_t n);  // y = s / a
void pk_axpy(float alpha, const float *x, float *y, int64_t n);     // y += alpha * x
void pk_fill(float *y, float value, int64_t n);

// ---- Unary: y[i] = f(x[i]) ----
void pk_neg(const float *x, float *y, int64_t n);
void pk_abs(const float *x, float *y, int64_t n);
void pk_exp(const float *x, float *y, int64_t n);
void pk_log(const float *x, float *y, int64_t n);
void pk_sqrt(const float *x, float *y, int64_t n);
void pk_rsqrt(const float *x, float *y, int64_t n);   // 1/sqrt(x), full precision
void pk_tanh(const float *x, float *y, int64_t n);
void pk_erf(const float *x, float *y, int64_t n);
void pk_sigmoid(const float *x, float *y, int64_t n);
void pk_relu(const float *x, float *y, int64_t n);
void pk_gelu_erf(const float *x, float *y, int64_t n);   // x * 0.5 * (1 + erf(x / sqrt 2))
void pk_gelu_tanh(const float *x, float *y, int64_t n);  // 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3)))
void pk_silu(const float *x, float *y, int64_t n);       // x * sigmoid(x)
void pk_pow_scalar(const float *x, float p, float *y, int64_t n);  // powf(x, p) semantics
void pk_clamp(const float *x, float lo, float hi, float *y, int64_t n);

// ---- Backward of unary ops: gx[i] = gy[i] * f'(.) ----
// Functions of the input x:
void pk_relu_backward(const float *x, const float *gy, float *gx, int64_t n);
void pk_gelu_erf_backward(const float *x, const float *gy, float *gx, int64_t n);
void pk_gelu_tanh_backward(const float *x, const float *gy, float *gx, int64_t n);
void pk_silu_backward(const float *x, const float *gy, float *gx, int64_t n);
// Functions of the output y:
void pk_tanh_backward(const float *y, const float *gy, float *gx, int64_t n);     // gy * (1 - y^2)
void pk_sigmoid_backward(const float *y, const float *gy, float *gx, int64_t n);  // gy * y * (1 - y)

// ---- Reductions over n contiguous elements ----
float pk_sum(const float *x, int64_t n);
float pk_dot(const float *a, const float *b, int64_t n);
float pk_max(const float *x, int64_t n);  // -inf for n == 0; nan if any element is nan

// ---- Row kernels over a [rows, cols] block ----
void pk_sum_rows(const float *x, float *y, int64_t rows, int64_t cols);   // y[r] = sum_c x[r, c]
// y[r] = max_c x[r, c]; idx[r] = first column holding it (idx may be NULL).
void pk_max_rows(const float *x, float *y, int64_t *idx, int64_t rows, int64_t cols);
void pk_logsumexp_rows(const float *x, float *y, int64_t rows, int64_t cols);
// y = softmax(x) per row (max-subtracted). y must not alias x only if the caller needs x.
void pk_softmax_rows(const float *x, float *y, int64_t rows, int64_t cols);
// gx = y * (gy - sum_c(gy * y)) per row.
void pk_softmax_backward_rows(const float *y, const float *gy, float *gx, int64_t rows, int64_t cols);
void pk_log_softmax_rows(const float *x, float *y, int64_t rows, int64_t cols);
// gx = gy - exp(y) * sum_c(gy) per row, where y is the log-softmax output.
void pk_log_softmax_backward_rows(const float *y, const float *gy, float *gx, int64_t rows, int64_t cols);

// Layer norm over each row: y = (x - mean) * rstd * w + b, rstd = 1/sqrt(var + eps),
// var biased (divided by cols), computed in two passes for accuracy.
// w and b may be NULL (no affine). mean and rstd ([rows]) may be NULL.
void pk_layer_norm_rows(const float *x, const float *w, const float *b, float *y,
                        float *mean, float *rstd, int64_t rows, int64_t cols, float eps);
// Backward from the saved mean and rstd. gx may not alias x. gw and gb ([cols])
// are accumulated into (+=) and may be NULL; w may be NULL (treated as ones).
void pk_layer_norm_backward_rows(const float *x, const float *w, const float *mean,
                                 const float *rstd, const float *gy, float *gx,
                                 float *gw, float *gb, int64_t rows, int64_t cols);

// ---- Optimizer ----
// One AdamW step (decoupled weight decay, PyTorch's torch.optim.AdamW formula):
//   p -= lr * weight_decay * p
//   m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g^2
//   p -= lr * (m / bias_correction1) / (sqrt(v / bias_correction2) + eps)
void pk_adamw_step(float *p, const float *g, float *m, float *v, int64_t n,
                   float lr, float beta1, float beta2, float eps, float weight_decay,
                   float bias_correction1, float bias_correction2);

#endif
