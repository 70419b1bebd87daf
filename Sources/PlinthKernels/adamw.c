// AdamW optimizer step.
#include "PlinthKernels.h"
#include "pk_simd.h"

// Follows torch.optim.AdamW's single-tensor update operation by operation:
//   p *= 1 - lr*wd;  m += (1 - beta1)(g - m);  v = beta2 v + (1 - beta2) g^2;
//   p += -(lr/bc1) * m / (sqrt(v)/sqrt(bc2) + eps)
// with the scalar factors formed in double and rounded once, as PyTorch does.
PK_INLINE void pk_adamw_step_body(float *p, const float *g, float *m, float *v, int64_t n,
                                  float lr, float beta1, float beta2, float eps,
                                  float weight_decay, float bias_correction1,
                                  float bias_correction2) {
  float decay = (float)(1.0 - (double)lr * weight_decay);
  float w1 = (float)(1.0 - (double)beta1), w2 = (float)(1.0 - (double)beta2);
  float neg_step = (float)(-(double)lr / bias_correction1);
  float bc2_sqrt = v_sqrt(v_splat(bias_correction2))[0];
  for (int64_t i = 0; i < n; i += PK_W) {
    int64_t k = n - i < PK_W ? n - i : PK_W;
    int full = k == PK_W;
    v16 pv = full ? v_load(p + i) : v_load_part(p + i, k, 0.0f);
    v16 gv = full ? v_load(g + i) : v_load_part(g + i, k, 0.0f);
    v16 mv = full ? v_load(m + i) : v_load_part(m + i, k, 0.0f);
    v16 vv = full ? v_load(v + i) : v_load_part(v + i, k, 0.0f);
    mv = mv + w1 * (gv - mv);
    vv = vv * beta2 + w2 * (gv * gv);
    v16 denom = v_sqrt(vv) / bc2_sqrt + eps;
    pv = pv * decay + neg_step * (mv / denom);
    if (full) {
      v_store(p + i, pv), v_store(m + i, mv), v_store(v + i, vv);
    } else {
      v_store_part(p + i, pv, k), v_store_part(m + i, mv, k), v_store_part(v + i, vv, k);
    }
  }
}
PK_DISPATCH_VOID(pk_adamw_step,
                 (float *p, const float *g, float *m, float *v, int64_t n, float lr, float beta1,
                  float beta2, float eps, float weight_decay, float bias_correction1,
                  float bias_correction2),
                 (p, g, m, v, n, lr, beta1, beta2, eps, weight_decay, bias_correction1,
                  bias_correction2))
