// Internal to PlinthKernels: the vector vocabulary the kernels are written in, and
// the run-time selection between AVX-512, AVX2+FMA and baseline builds of each kernel.
//
// Kernels use clang/GCC vector extensions on 16 floats. The same source compiles to
// one zmm register per operation under AVX-512, two ymm under AVX2 and four xmm on
// baseline x86-64, so one body serves all three variants without intrinsics. The code
// is vector code by construction: nothing relies on the loop vectorizer, whose alias
// checks would also send the in-place case (y == x) down a scalar path.
#ifndef PK_SIMD_H
#define PK_SIMD_H

#include <stdint.h>

// The helpers below take and return 512-bit vectors but are always inlined, so the
// calling-convention differences clang warns about between ISA variants never arise.
#pragma clang diagnostic ignored "-Wpsabi"

#define PK_W 16  // lanes per vector

typedef float v16 __attribute__((vector_size(64)));
typedef int32_t vi16 __attribute__((vector_size(64)));
typedef float v8 __attribute__((vector_size(32)));
typedef int32_t vi8 __attribute__((vector_size(32)));
typedef double v8d __attribute__((vector_size(64)));
typedef int64_t vl8 __attribute__((vector_size(64)));

// Everything below is force-inlined so that it is compiled separately inside each
// ISA variant of the exported functions (and never called across an ABI boundary).
#define PK_INLINE static inline __attribute__((always_inline))

PK_INLINE v16 v_splat(float s) {
  return (v16){s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s};
}
PK_INLINE v16 v_load(const float *p) {
  v16 v;
  __builtin_memcpy(&v, p, sizeof v);  // unaligned load
  return v;
}
PK_INLINE void v_store(float *p, v16 v) { __builtin_memcpy(p, &v, sizeof v); }
// The first k < 16 elements at p, the other lanes set to pad.
PK_INLINE v16 v_load_part(const float *p, int64_t k, float pad) {
  v16 v = v_splat(pad);
  __builtin_memcpy(&v, p, (unsigned long)k * sizeof(float));
  return v;
}
PK_INLINE void v_store_part(float *p, v16 v, int64_t k) {
  __builtin_memcpy(p, &v, (unsigned long)k * sizeof(float));
}
// m ? a : b per lane, where m lanes are all-ones or zero (as comparisons produce).
PK_INLINE v16 v_sel(vi16 m, v16 a, v16 b) {
  return (v16)((m & (vi16)a) | (~m & (vi16)b));
}
// Lanes [0, k) of the mask are set.
PK_INLINE vi16 v_first_lanes(int64_t k) {
  vi16 iota = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  return iota < (int32_t)k;
}

// A vector's worth of a row: the 16 elements at `at`, of which the `fresh` lanes are
// the ones to process. Loops visit v_full(i) for each whole vector and then, if n is
// not a multiple of 16, v_tail(n). When n >= 16 the tail is the row's last 16
// elements, overlapping the previous vector, so loads and stores stay full width with
// no copying; stale lanes are masked out of sums and rewritten unchanged by stores.
// Shorter rows go through a padded copy (`overlap` = 0, lanes [0, k) fresh).
typedef struct {
  int64_t at, k;
  int overlap;
  vi16 fresh;
} Span;

PK_INLINE Span v_full(int64_t i) { return (Span){i, PK_W, 1, ~(vi16){0}}; }
PK_INLINE Span v_tail(int64_t n) {
  int64_t k = n % PK_W;
  if (n >= PK_W) return (Span){n - PK_W, k, 1, ~v_first_lanes(PK_W - k)};
  return (Span){n - k, k, 0, v_first_lanes(k)};
}
// Stale lanes hold earlier elements (overlap) or pad.
PK_INLINE v16 v_span_load(const float *p, Span s, float pad) {
  return s.overlap ? v_load(p + s.at) : v_load_part(p + s.at, s.k, pad);
}
// Stores the fresh lanes of v. Stale lanes get back what memory holds, which is
// already final, so in-place callers (p also an input) stay correct.
PK_INLINE void v_span_store(float *p, Span s, v16 v) {
  if (s.overlap) v_store(p + s.at, v_sel(s.fresh, v, v_load(p + s.at)));
  else v_store_part(p + s.at, v, s.k);
}
// v in fresh lanes, 0 elsewhere: for sums.
PK_INLINE v16 v_fresh(Span s, v16 v) { return v_sel(s.fresh, v, (v16){0}); }

// Runs the statement (the variadic part) with Span `s` bound to each whole vector of
// [0, n), then to the tail.
#define PK_FOR_SPANS(s, n, ...)                                           \
  do {                                                                    \
    int64_t n_ = (n);                                                     \
    for (int64_t i_ = 0; i_ + PK_W <= n_; i_ += PK_W) {                   \
      Span s = v_full(i_);                                                \
      __VA_ARGS__;                                                        \
    }                                                                     \
    if (n_ % PK_W) {                                                      \
      Span s = v_tail(n_);                                                \
      __VA_ARGS__;                                                        \
    }                                                                     \
  } while (0)

PK_INLINE v8d v_seld(vl8 m, v8d a, v8d b) {
  return (v8d)((m & (vl8)a) | (~m & (vl8)b));
}
PK_INLINE v16 v_abs(v16 x) { return (v16)((vi16)x & 0x7fffffff); }
// |x| with the sign of s; nan stays nan.
PK_INLINE v16 v_copysign(v16 x, v16 s) {
  return (v16)(((vi16)x & 0x7fffffff) | ((vi16)s & (int32_t)0x80000000));
}
PK_INLINE v16 v_sqrt(v16 x) { return __builtin_elementwise_sqrt(x); }

// Horizontal reductions, as a tree of halves.
PK_INLINE float v_hsum(v16 v) {
  v8 a = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
         __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
  float b0 = (a[0] + a[4]) + (a[2] + a[6]);
  float b1 = (a[1] + a[5]) + (a[3] + a[7]);
  return b0 + b1;
}
PK_INLINE float v_hmax(v16 v) {  // callers track nan separately
  v8 a = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7);
  v8 b = __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
  a = (v8)(((a > b) & (vi8)a) | (~(a > b) & (vi8)b));
  float m = a[0];
  for (int i = 1; i < 8; i++) m = a[i] > m ? a[i] : m;
  return m;
}

// Widening to double and back, for the few places that need an exponent argument to
// more than float precision (see v_exp_scaled).
PK_INLINE v8d v_lo_d(v16 x) {
  return __builtin_convertvector(__builtin_shufflevector(x, x, 0, 1, 2, 3, 4, 5, 6, 7), v8d);
}
PK_INLINE v8d v_hi_d(v16 x) {
  return __builtin_convertvector(
      __builtin_shufflevector(x, x, 8, 9, 10, 11, 12, 13, 14, 15), v8d);
}
PK_INLINE v16 v_join_f(v8d lo, v8d hi) {
  v8 a = __builtin_convertvector(lo, v8), b = __builtin_convertvector(hi, v8);
  return __builtin_shufflevector(a, b, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}

// ---- Run-time ISA dispatch ----
//
// Each exported kernel `name` is written once as `name##_body`; PK_DISPATCH compiles
// it three times under different target attributes and binds `name` to one of them
// with an ELF ifunc, resolved once at load time. (target_clones would do the same
// but its "arch=haswell" clone is chosen only on CPUs that *are* Haswell, and its
// "arch=x86-64-v3" test needs a libgcc new enough to know ISA levels; the feature
// bits tested here exist in every libgcc and compiler-rt.)
#if defined(__x86_64__) && defined(__ELF__)

// 2: AVX-512 (F, VL, BW, DQ), 1: AVX2 + FMA, 0: baseline. PK_FORCE_ISA caps the
// choice; only the kernel_check test program sets it, to test every variant.
PK_INLINE int pk_isa_level(void) {
  __builtin_cpu_init();  // resolvers run before constructors
  int level = 0;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) level = 1;
  if (level == 1 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq"))
    level = 2;
#ifdef PK_FORCE_ISA
  if (level > PK_FORCE_ISA) level = PK_FORCE_ISA;
#endif
  return level;
}

#define PK_TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))
#define PK_TARGET_AVX2 __attribute__((target("avx2,fma")))

#define PK_DISPATCH_(ret, ret_kw, name, params, args)                                \
  PK_TARGET_AVX512 static ret name##_avx512 params { ret_kw name##_body args; }      \
  PK_TARGET_AVX2 static ret name##_avx2 params { ret_kw name##_body args; }          \
  static ret name##_base params { ret_kw name##_body args; }                         \
  __attribute__((used)) static ret (*name##_resolve(void)) params {                 \
    int level = pk_isa_level();                                                      \
    return level == 2 ? name##_avx512 : level == 1 ? name##_avx2 : name##_base;      \
  }                                                                                  \
  ret name params __attribute__((ifunc(#name "_resolve")));

#else  // No ifunc (not x86-64 ELF): one build, for whatever the compiler targets.

PK_INLINE int pk_isa_level(void) { return 0; }
#define PK_DISPATCH_(ret, ret_kw, name, params, args) \
  ret name params { ret_kw name##_body args; }

#endif

// Defines exported `ret name params` from `name##_body`, called with `args`.
#define PK_DISPATCH(ret, name, params, args) PK_DISPATCH_(ret, return, name, params, args)
#define PK_DISPATCH_VOID(name, params, args) PK_DISPATCH_(void, , name, params, args)

#endif
