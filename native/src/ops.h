// The kernel contract of motif's compute core: every compute kernel, forward beside backward,
// as one table of function pointers per instruction set (ISA). The same kernel sources in
// native/src/kernels/ are compiled once per ISA (avx512, avx2, generic) into their own namespace;
// ops() returns the table chosen at load time from CPUID (or the MOTIF_ISA environment variable).
// No N-API types here: kernels are plain C++ over raw float pointers.
//
// Conventions (as llm.c):
//  - Row-major float32. Dimension letters: B batch, T time (sequence), C channels (d_model),
//    NH heads, HS = C / NH head size, F feed-forward width, V vocabulary, L layers, N = B*T rows.
//  - Linear weights are PyTorch nn.Linear layout W (OC, IC): y = x · Wᵀ + b.
//  - Backward functions ACCUMULATE (+=) into every gradient they write (parameter and input
//    gradients alike); callers zero gradients once per step. A null gradient pointer skips it.
//  - Dropout masks are never stored: a counter-based hash of (seed, element index) regenerates
//    them in backward, so forward and backward given the same seed see the same mask.
#pragma once
#include <cstddef>
#include <cstdint>

namespace motif {

// The signatures of causal attention's forward and backward (contract at Ops::attention_forward), shared
// by the fp32 kernels, their bf16 forms in the table and the bf16 paths' own (Bf16Ops).
using AttentionForward = void(float* out, float* lse, const float* qkv, int B, int T, int C, int NH, float dropout_p,
                              uint64_t seed);
using AttentionBackward = void(float* dqkv, const float* dout, const float* qkv, const float* out, const float* lse,
                               int B, int T, int C, int NH, float dropout_p, uint64_t seed);

enum class Isa : int { generic = 0, avx2 = 1, avx512 = 2 };

/** What a bf16 gradient or operand passes through (Ops::activation_*_bf16). */
enum class Activation : int { none, relu, gelu };

// A bf16 GEMM (contract below, "bf16 GEMM paths"); the linear layers' bf16 forms take one.
using GemmBf16 = void(bool transA, bool transB, int M, int N, int K, float alpha, const uint16_t* A, int lda,
                      const uint16_t* B, int ldb, float beta, float* C, int ldc);

struct Ops {
  const char* isa_name;

  // C (M, N) = alpha · op(A) · op(B) + beta · C; op(A) is (M, K), op(B) is (K, N).
  // lda/ldb/ldc are row strides of A, B, C as stored. Multithreaded over the pool.
  void (*sgemm)(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
                const float* B, int ldb, float beta, float* C, int ldc);

  // y (N, OC) = x (N, IC) · Wᵀ + b;  W (OC, IC), b (OC) or null.
  void (*linear_forward)(float* y, const float* x, const float* W, const float* b, int N, int IC, int OC);
  // dx (N, IC) += dy · W;  dW (OC, IC) += dyᵀ · x;  db (OC) += Σ_rows dy.
  void (*linear_backward)(float* dx, float* dW, float* db, const float* dy, const float* x, const float* W,
                          int N, int IC, int OC);
  // The same layer with bf16 matmul operands on the bf16 GEMM `gemm`: x, W and dyb (dy rounded) as raw
  // bf16 bits; y, dx, dW, the bias and every sum fp32. The bias gradient is not here: it is summed from
  // the fp32 dy in the pass that rounds dy to dyb (activation_backward_bf16 below, Activation::none).
  void (*linear_forward_bf16)(GemmBf16* gemm, float* y, const uint16_t* x, const uint16_t* W, const float* b, int N,
                              int IC, int OC);
  void (*linear_backward_bf16)(GemmBf16* gemm, float* dx, float* dW, const uint16_t* dyb, const uint16_t* x,
                               const uint16_t* W, int N, int IC, int OC);

  // out (B, T, C) = wte[tokens[b, t]] + wpe[t];  wte (V, C), wpe (maxT, C).
  void (*embedding_forward)(float* out, const int32_t* tokens, const float* wte, const float* wpe, int B, int T,
                            int C);
  void (*embedding_backward)(float* dwte, float* dwpe, const float* dout, const int32_t* tokens, int B, int T,
                             int C);

  // LayerNorm over C (eps 1e-5, biased variance, as PyTorch). mean, rstd (N) saved for backward.
  void (*layernorm_forward)(float* out, float* mean, float* rstd, const float* x, const float* w, const float* b,
                            int N, int C);
  void (*layernorm_backward)(float* dx, float* dw, float* db, const float* dout, const float* x, const float* w,
                             const float* mean, const float* rstd, int N, int C);

  // Elementwise activations. GELU is the exact erf form (PyTorch's default F.gelu).
  void (*relu_forward)(float* out, const float* x, size_t n);
  void (*relu_backward)(float* dx, const float* dout, const float* x, size_t n);
  void (*gelu_forward)(float* out, const float* x, size_t n);
  void (*gelu_backward)(float* dx, const float* dout, const float* x, size_t n);
  // bf16 mixed precision, no dropout: act(x) rounded to bf16 into out, as the forward then f32_to_bf16;
  // backward: dout · act'(x) (Activation::none: dout itself; x unused) rounded into dxb (N, F), and when db
  // is not null its column sums (the bias gradient of the layer that produced x) added to db (F), summed
  // in fp32 before rounding: a linear layer's output gradient becomes its GEMM operand and bias gradient.
  void (*activation_forward_bf16)(uint16_t* out, const float* x, size_t n, Activation act);
  void (*activation_backward_bf16)(uint16_t* dxb, float* db, const float* dout, const float* x, int N, int F,
                                   Activation act);

  // Inverted dropout: keep with prob 1-p, scale kept by 1/(1-p). out may alias x (in place).
  // Element i of this call uses mask bit hash(seed, i): a distinct seed per call site and step.
  void (*dropout_forward)(float* out, const float* x, size_t n, float p, uint64_t seed);
  void (*dropout_backward)(float* dx, const float* dout, size_t n, float p, uint64_t seed);

  // Causal multi-head attention, block-wise (flash style): memory O(T), never O(T²).
  // qkv (B, T, 3C): q | k | v, head h at columns h·HS .. (h+1)·HS of each. out (B, T, C) heads
  // concatenated likewise. lse (B, NH, T) = log Σ_j exp(score) saved for backward. Scale 1/√HS.
  // dropout_p applies to attention probabilities (as PyTorch MHA), mask from hash(seed, b, h, i, j).
  AttentionForward* attention_forward;
  // dqkv (B, T, 3C) += gradient; needs out and lse of the forward.
  AttentionBackward* attention_backward;

  // Incremental decoding (no backward): n new queries per stream over a KV cache. q (S, n, ·) with
  // row stride ldq (the q part of a qkv buffer); kcache, vcache (S, cap, C), positions 0 .. P+n-1
  // filled (the new keys included); query t sits at position P + t and sees keys 0 .. P + t.
  // out (S, n, C), heads concatenated as in attention_forward.
  void (*attention_cached_forward)(float* out, const float* q, int ldq, const float* kcache, const float* vcache,
                                   int S, int n, int P, int cap, int C, int NH);

  // Fused softmax + cross-entropy over rows of logits (N, V), in place: on return `logits` holds
  // d(loss)/d(logits) · grad_scale, where loss = Σ over rows with targets[r] != ignore_index of
  // -log softmax(logits[r])[targets[r]]. Ignored rows get zero gradient. losses (N) receives each
  // row's loss (0 when ignored) or is null. Returns the summed loss of this call.
  double (*crossentropy_forward_backward)(float* logits, float* losses, const int32_t* targets, int N, int V,
                                          int ignore_index, float grad_scale);
  // Same loss without the gradient (evaluation); logits untouched.
  double (*crossentropy_forward)(float* losses, const float* logits, const int32_t* targets, int N, int V,
                                 int ignore_index);

  // Masked mean over time: out (B, C) = Σ_t mask[b,t]·h[b,t] / Σ_t mask[b,t]  (0 if no valid t).
  void (*meanpool_forward)(float* out, const float* h, const uint8_t* mask, int B, int T, int C);
  void (*meanpool_backward)(float* dh, const float* dout, const uint8_t* mask, int B, int T, int C);

  // Optimizer pieces. Σ g² (as double), Σ |w|, g += l1 · sign(w), x *= s.
  double (*sum_squares)(const float* g, size_t n);
  double (*sum_abs)(const float* w, size_t n);
  void (*l1_grad)(float* g, const float* w, size_t n, float l1);
  void (*scale)(float* x, size_t n, float s);
  // AdamW step t (1-based), PyTorch semantics: w -= lr·wd·w; m,v moments; w -= lr·m̂/(√v̂ + eps).
  void (*adamw_update)(float* w, const float* g, float* m, float* v, size_t n, float lr, float beta1, float beta2,
                       float eps, float weight_decay, int t);

  // Peak-FLOPs probe: a register-only FMA loop of `iters` iterations on this thread.
  // Returns the number of floating-point operations performed (2 per lane per FMA).
  double (*fma_peak_loop)(int64_t iters);

  // bf16 (bfloat16) values travel as their raw 16 bits (uint16_t): the high half of a float32.
  // dst (n) = src rounded to nearest, ties to even; NaN stays a quiet NaN of the same sign;
  // denormals round like every other value (as PyTorch's c10::BFloat16, not VCVTNEPS2BF16's DAZ).
  void (*f32_to_bf16)(uint16_t* dst, const float* src, size_t n);
  // dst (n) = src widened exactly (bf16 → fp32 appends 16 zero bits).
  void (*bf16_to_f32)(float* dst, const uint16_t* src, size_t n);
  // The portable bf16 GEMM (GemmBf16 below): operands widened to fp32, then this table's sgemm.
  void (*gemm_bf16)(bool transA, bool transB, int M, int N, int K, float alpha, const uint16_t* A, int lda,
                    const uint16_t* B, int ldb, float beta, float* C, int ldc);
  // The portable bf16 attention (attention_forward/backward's contract): q, k, v, dO and, per tile, P, P∘M
  // and dS rounded to bf16 values, multiplied by this table's fp32 tiles; softmax and sums fp32.
  AttentionForward* attention_forward_bf16;
  AttentionBackward* attention_backward_bf16;
};

// ---- bf16 GEMM paths, chosen apart from the fp32 table ------------------------------------------
// C (M, N) = alpha · op(A) · op(B) + beta · C with A and B bf16 (raw bits), C fp32, products and
// sums in fp32; op() and the strides as Ops::sgemm, so a linear layer swaps one for the other.
// beta == 0 never reads C. Paths: generic (Ops::gemm_bf16 of the active table, any CPU),
// avx512bf16 (VDPBF16PS, native/src/kernels/gemm_bf16.cc), amx (TDPBF16PS tiles, same file).
using PeakLoop = double(int64_t iters);

enum class Bf16Path : int { generic = 0, avx512bf16 = 1, amx = 2 };

struct Bf16Ops {
  const char* name;
  GemmBf16* gemm;
  // Peak probe of the path's bf16 dot-product instruction on this thread (FLOPs performed, 2 per
  // multiply-add); null for generic, whose peak is the fp32 FMA one.
  PeakLoop* peak_loop;
  // Attention with bf16 tile matmuls: generic, Ops::attention_forward_bf16 of the active table; avx512bf16
  // and amx, VDPBF16PS (AMX machines have AVX512_BF16, and 64 × 64 tiles over a head size of 64 are small
  // for AMX tiles). Every path rounds the same values (kernels/attention.cc).
  AttentionForward* attention_forward;
  AttentionBackward* attention_backward;
};

/** What the running CPU and OS support (CPUID + XGETBV), detected once. */
struct CpuFeatures {
  bool avx2 = false;         // AVX2 + FMA + F16C, ymm state saved by the OS
  bool avx512 = false;       // AVX-512 F/DQ/BW/VL, zmm and opmask state saved by the OS
  bool avx512_bf16 = false;  // AVX512_BF16 (for a bf16 path; the avx512 table does not require it)
  bool amx_cpu = false;      // CPUID.(7,0):EDX AMX-TILE (bit 24) and AMX-BF16 (bit 22)
  bool amx_os = false;       // XCR0 bits 17 (XTILECFG) and 18 (XTILEDATA): the OS saves tile state
  bool amx_permitted = false;  // Linux granted tile data (arch_prctl ARCH_REQ_XCOMP_PERM) to this process
  bool amx() const { return amx_cpu && amx_os && amx_permitted && avx512; }
};
const CpuFeatures& cpu_features();
/** "generic" | "avx2" | "avx512". */
const char* isa_name(Isa isa);
/** Parses an ISA name; false when unknown. */
bool parse_isa(const char* name, Isa* out);

/** The active table: best ISA this CPU supports, unless MOTIF_ISA=generic|avx2|avx512 says otherwise. */
const Ops& ops();
/** The table for `isa`, or nullptr when it was not compiled in or the CPU lacks it. */
const Ops* ops_for(Isa isa);
/** Makes `isa` the active table; false (and no change) when unavailable. */
bool set_isa(Isa isa);
/** Best ISA the running CPU (and OS) supports among those compiled in. */
Isa best_isa();

/** The active bf16 path: the best this CPU supports, unless MOTIF_BF16=generic|avx512bf16|amx says otherwise. */
const Bf16Ops& bf16_ops();
/** The bf16 path's table, or nullptr when it was not compiled in or the CPU (or OS) lacks it. */
const Bf16Ops* bf16_ops_for(Bf16Path path);
/** Makes `path` the active bf16 path; false (and no change) when unavailable. */
bool set_bf16_path(Bf16Path path);
/** Best bf16 path here: amx, else avx512bf16, else generic. */
Bf16Path best_bf16_path();
/** "generic" | "avx512bf16" | "amx". */
const char* bf16_path_name(Bf16Path path);
/** Parses a bf16 path name; false when unknown. */
bool parse_bf16_path(const char* name, Bf16Path* out);

}  // namespace motif
