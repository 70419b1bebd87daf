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
  PK_FOR_SPANS(s, n, {
    v16 gv = v_span_load(g, s, 0.0f), mv = v_span_load(m, s, 0.0f), vv = v_span_load(v, s, 0.0f);
    mv = mv + w1 * (gv - mv);
    vv = vv * beta2 + w2 * (gv * gv);
    v16 denom = v_sqrt(vv) / bc2_sqrt + eps;
    v_span_store(p, s, v_span_load(p, s, 0.0f) * decay + neg_step * (mv / denom));
    v_span_store(m, s, mv);
    v_span_store(v, s, vv);
  });
}
PK_DISPATCH_VOID(pk_adamw_step,
                 (float *p, const float *g, float *m, float *v, int64_t n, float lr, float beta1,
                  float beta2, float eps, float weight_decay, float bias_correction1,
                  float bias_correction2),
                 (p, g, m, v, n, lr, beta1, beta2, eps, weight_decay, bias_correction1,
                  bias_correction2))
