// The layers of model.h's transformer, each forward beside its backward (layers.cc), in the order of
// the model: embedding → block (attention and feed-forward sublayers with their norms) → final norm →
// head + loss. Pure functions over the views of model.h's layout; model.cc owns the memory and chains
// them. Not kernels: every computation is a call into ops() (ops.h).
#pragma once
#include <cstddef>
#include <cstdint>

#include "model.h"
#include "ops.h"

namespace motif {

/** splitmix64's finaliser: the hash behind the init stream, step seeds and dropout seeds. */
inline uint64_t mix64(uint64_t x) {
  x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ULL; x ^= x >> 27; x *= 0x94d049bb133111ebULL; x ^= x >> 31;
  return x;
}

/** One layer slot of the activations a block saves for backward (Activations' per-layer fields). */
struct LayerActivations {
  float *ln1, *ln1_mean, *ln1_rstd;  // (N, C), (N), (N)
  float *qkv, *atty, *lse;           // (N, 3C), (N, C), (B, NH, T)
  float* res1;                       // (N, C)
  float *ln2, *ln2_mean, *ln2_rstd;  // (N, C), (N), (N)
  float *fch, *res2;                 // (N, F), (N, C)
};
/** Slot `slot` of `a`, allocated for N rows. */
LayerActivations layer_activations(const Activations& a, const ModelConfig& c, size_t N, size_t slot);

/** What a bf16 pass adds (model.h, "bf16 mixed precision"): the GEMM, the weights' bf16 copies, and the
 *  scratch that a linear layer's input (xb) and output gradient (dyb) are rounded into. Null in fp32. */
struct Bf16Pass {
  GemmBf16* gemm = nullptr;
  const Bf16Weights* w = nullptr;
  uint16_t *xb = nullptr, *dyb = nullptr;  // (N, max(C, F)), (N, max(3C, F)) and ≥ the head chunk's (chunk, V)
  // The path's bf16 attention (null in fp32: the table's kernels).
  AttentionForward* attention_forward = nullptr;
  AttentionBackward* attention_backward = nullptr;
};

/** What every layer function needs besides its tensors: kernels, sizes, the pass's dropout and precision. */
struct Pass {
  const Ops& k;
  int B, T, C, F, NH, L, V;
  size_t N;       // B·T rows
  bool pre_ln, gelu;
  float p;        // dropout rate: the config's in training, 0 in evaluation
  uint64_t seed;  // the step's seed; each dropout site derives its own from it and its layer
  Bf16Pass bf16;  // bf16.gemm null: an fp32 pass
  Pass(const ModelConfig& c, int batch, int time, float dropout, uint64_t step_seed, const Bf16Pass& bf16 = {});
  uint64_t drop_seed(int layer, int site) const;
  /** The FFN's activation, as the bf16 kernels name it. */
  Activation activation() const { return gelu ? Activation::gelu : Activation::relu; }
};

/** One block as the layer functions see it: its index (for dropout seeds), its parameters, their
 *  gradients, the bf16 copies of its matmul weights (null in fp32), and the activation slot it writes
 *  (forward) or reads (backward). */
struct Block {
  int l;
  LayerParams w, g;
  LayerBf16 wb;
  LayerActivations a;
};

/** dst (n) = src rounded to bf16 (ops.h's f32_to_bf16), split over the pool. */
void to_bf16(const Ops& k, uint16_t* dst, const float* src, size_t n);
/** y (N, OC) = x · Wᵀ + b in the pass's precision; Wb is W's bf16 copy (unused in fp32). In bf16, a
 *  null x means its producer already rounded it into the pass's xb. */
void linear_forward(const Pass& s, float* y, const float* x, const float* W, const uint16_t* Wb, const float* b, int N,
                    int IC, int OC);

// Backward functions follow ops.h: they ACCUMULATE into parameter gradients; the gradient they
// return for their input goes into a buffer they zero first, as each comment says.

/** encoded (N, C) = drop(wte[tokens] + wpe[t]). */
void embedding_forward(const Pass& s, float* encoded, const int32_t* tokens, const Params& w);
/** dencoded (N, C): gradient at encoded; `scratch` (N, C) holds it through the dropout. */
void embedding_backward(const Pass& s, Params& g, const float* dencoded, float* scratch, const int32_t* tokens);

/** One block in model.h's post-LN or pre-LN order on input x; returns its output (ln2 or res2 of its slot). */
const float* block_forward(const Pass& s, const Block& b, Activations& a, const float* x);
/** dout: gradient at the block's output; dx (zeroed here): at its input x. Scratch: a.dres, a.dln and
 *  the sublayers' (a.datty, a.dproj, a.dqkv, a.act, a.dact). */
void block_backward(const Pass& s, const Block& b, Activations& a, const float* x, const float* dout, float* dx);

/** a.lnf = norm(x), the final LayerNorm of pre-LN. */
void final_norm_forward(const Pass& s, const Params& w, Activations& a, const float* x);
/** dout: gradient at a.lnf; dx (zeroed here): at x. */
void final_norm_backward(const Pass& s, const Params& w, Params& g, Activations& a, const float* x, const float* dout,
                         float* dx);

/** Rows of one head chunk for N rows: rows · V ≤ 16M floats (64 MB), at least 16, at most N. */
size_t head_chunk_rows(size_t N, int V);
/** a.targets (N): row b·T + t predicts token t+1 of its sequence; the last position and pad targets are ignored. */
void next_token_targets(const Pass& s, Activations& a, const int32_t* tokens, int pad_id);
/** Mean next-token cross-entropy of the head on h (N, C) over rows with a target (their number in *count).
 *  With g and dh, the gradient of that mean accumulates into g's head tensors and dh (N, C). */
double head_loss(const Pass& s, const Params& w, Params* g, Activations& a, const float* h, float* dh, int64_t* count);

}  // namespace motif
