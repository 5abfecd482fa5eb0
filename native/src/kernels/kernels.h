// Declarations of the kernels of one ISA build. Every .cc in this folder is compiled once per ISA
// with MOTIF_ISA defined to generic | avx2 | avx512 and wraps its code in `namespace motif::MOTIF_ISA`.
// The signatures are those of the Ops table in ../ops.h (see there for shapes and conventions);
// ops_table.cc gathers them into the table `motif::ops_<isa>`.
#pragma once
#include <cstddef>
#include <cstdint>

#include "ops.h"

#ifndef MOTIF_ISA
#error "MOTIF_ISA must be defined (generic, avx2 or avx512)"
#endif

namespace motif {
namespace MOTIF_ISA {

void sgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
           int ldb, float beta, float* C, int ldc);
void linear_forward(float* y, const float* x, const float* W, const float* b, int N, int IC, int OC);
void linear_backward(float* dx, float* dW, float* db, const float* dy, const float* x, const float* W, int N, int IC,
                     int OC);
void linear_forward_bf16(GemmBf16* gemm, float* y, const uint16_t* x, const uint16_t* W, const float* b, int N, int IC,
                         int OC);
void linear_backward_bf16(GemmBf16* gemm, float* dx, float* dW, const uint16_t* dyb, const uint16_t* x,
                          const uint16_t* W, int N, int IC, int OC);
void embedding_forward(float* out, const int32_t* tokens, const float* wte, const float* wpe, int B, int T, int C);
void embedding_backward(float* dwte, float* dwpe, const float* dout, const int32_t* tokens, int B, int T, int C);
void layernorm_forward(float* out, float* mean, float* rstd, const float* x, const float* w, const float* b, int N,
                       int C);
void layernorm_backward(float* dx, float* dw, float* db, const float* dout, const float* x, const float* w,
                        const float* mean, const float* rstd, int N, int C);
void relu_forward(float* out, const float* x, size_t n);
void relu_backward(float* dx, const float* dout, const float* x, size_t n);
void gelu_forward(float* out, const float* x, size_t n);
void gelu_backward(float* dx, const float* dout, const float* x, size_t n);
void activation_forward_bf16(uint16_t* out, const float* x, size_t n, Activation act);
void activation_backward_bf16(uint16_t* dxb, float* db, const float* dout, const float* x, int N, int F, Activation act);
void dropout_forward(float* out, const float* x, size_t n, float p, uint64_t seed);
void dropout_backward(float* dx, const float* dout, size_t n, float p, uint64_t seed);
void attention_forward(float* out, float* lse, const float* qkv, int B, int T, int C, int NH, float dropout_p,
                       uint64_t seed);
void attention_backward(float* dqkv, const float* dout, const float* qkv, const float* out, const float* lse, int B,
                        int T, int C, int NH, float dropout_p, uint64_t seed);
void attention_cached_forward(float* out, const float* q, int ldq, const float* kcache, const float* vcache, int S,
                              int n, int P, int cap, int C, int NH);
double crossentropy_forward_backward(float* logits, float* losses, const int32_t* targets, int N, int V,
                                     int ignore_index, float grad_scale);
double crossentropy_forward(float* losses, const float* logits, const int32_t* targets, int N, int V,
                            int ignore_index);
void meanpool_forward(float* out, const float* h, const uint8_t* mask, int B, int T, int C);
void meanpool_backward(float* dh, const float* dout, const uint8_t* mask, int B, int T, int C);
double sum_squares(const float* g, size_t n);
double sum_abs(const float* w, size_t n);
void l1_grad(float* g, const float* w, size_t n, float l1);
void scale(float* x, size_t n, float s);
void adamw_update(float* w, const float* g, float* m, float* v, size_t n, float lr, float beta1, float beta2,
                  float eps, float weight_decay, int t);
double fma_peak_loop(int64_t iters);
void f32_to_bf16(uint16_t* dst, const float* src, size_t n);
void bf16_to_f32(float* dst, const uint16_t* src, size_t n);
void gemm_bf16(bool transA, bool transB, int M, int N, int K, float alpha, const uint16_t* A, int lda,
               const uint16_t* B, int ldb, float beta, float* C, int ldc);
void attention_forward_bf16(float* out, float* lse, const float* qkv, int B, int T, int C, int NH, float dropout_p,
                            uint64_t seed);
void attention_backward_bf16(float* dqkv, const float* dout, const float* qkv, const float* out, const float* lse,
                             int B, int T, int C, int NH, float dropout_p, uint64_t seed);

// Defined by the avx512 build only (gemm_bf16.cc, peak.cc, attention.cc), each behind its own target attribute:
// dispatch.cc calls them only when cpu_features() has AVX512_BF16, or AMX with the OS's permission.
void gemm_bf16_dpbf16(bool transA, bool transB, int M, int N, int K, float alpha, const uint16_t* A, int lda,
                      const uint16_t* B, int ldb, float beta, float* C, int ldc);
void gemm_bf16_amx(bool transA, bool transB, int M, int N, int K, float alpha, const uint16_t* A, int lda,
                   const uint16_t* B, int ldb, float beta, float* C, int ldc);
double dpbf16_peak_loop(int64_t iters);
void attention_forward_dpbf16(float* out, float* lse, const float* qkv, int B, int T, int C, int NH, float dropout_p,
                              uint64_t seed);
void attention_backward_dpbf16(float* dqkv, const float* dout, const float* qkv, const float* out, const float* lse,
                               int B, int T, int C, int NH, float dropout_p, uint64_t seed);
double amx_bf16_peak_loop(int64_t iters);

}  // namespace MOTIF_ISA
}  // namespace motif
