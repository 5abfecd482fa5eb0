// motif's transformer in the style of llm.c: one struct of parameter tensors, one of activations,
// forward and backward chained from the layers of layers.h (each forward beside its backward, built
// on the kernels of ops.h), the AdamW step with clipping and L1. It is not a general autograd: the
// composition below is the whole model. No N-API types here.
//
// ── Memory layout (read this first) ──────────────────────────────────────────────────────────
// Dimension letters as in ops.h: B batch, T time, N = B·T rows, C d_model, NH heads, F FFN width,
// V vocabulary, L layers, maxT positions. Row-major float32, nn.Linear weights (OC, IC).
//
// Parameters: ONE aligned allocation holds four copies of the same layout, one after another:
//   [ params | grads | AdamW m | AdamW v ], each `n_padded` floats. Inside a copy, the tensors of
//   `Params` follow in declaration order, each starting on a 64-byte boundary (gaps stay zero, so
//   whole-block reductions and updates are exact). Per-layer tensors are stacked contiguously over
//   L, so layer l of `in_w` is in_w + l·3C·C; layer_params() gives all of layer l's tensors as one
//   LayerParams view (layer_activations() in layers.h does the same for activations). `tensors()`
//   lists every (name, shape, offset) with the names of python/motif_model.py's state_dict
//   (tok.weight, encoder.layers.{l}.self_attn.in_proj_weight, ...).
//   Tied head: head_w aliases wte (no storage); its gradient accumulates into wte's.
//
// Activations: ONE allocation per row count N (grown when a larger N arrives, reused otherwise).
//   Evaluation (loss, embeddings, logits) keeps nothing for backward, so every layer reuses slot 0
//   and a model that has only evaluated allocates one layer slot instead of L.
//   Saved for backward (per layer, stacked over L):
//     ln1, ln2 (L, N, C) + means/rstds (L, N)   outputs of norm1 / norm2
//     qkv (L, N, 3C), atty (L, N, C), lse (L, B, NH, T)   attention input projection, output, log-sum-exp
//     res1, res2 (L, N, C)   the two residual sums of the block (before the norm in post-LN)
//     fch (L, N, F)          linear1 output before the activation (the activation and its dropout are
//                            recomputed in backward rather than stored: saves L·N·F floats)
//   encoded (N, C) embeddings after dropout; lnf (N, C) + stats: final LayerNorm (pre-LN only).
//   Scratch reused by every layer: proj (N, C), act (N, F); backward's named gradients (Activations
//   lists them): the residual stream's pair dstream (2 × (N, C)), dres, dln, datty, dproj (N, C),
//   dqkv (N, 3C), dact (N, F); targets (N), and the head's chunk buffers: the head and cross-entropy
//   run over chunks of the rows that have a target (gathered into head_in (chunk, C)), so (N, V)
//   logits never exist at once and padding costs no head FLOPs.
//
// bf16 mixed precision (set_bf16): the parameters above stay fp32 and are what the optimizer updates
//   (AdamW moments fp32 too). A bf16 model adds ONE allocation of bf16 copies of the matmul weights
//   (Bf16Weights: in_w, out_w, fc1_w, fc2_w stacked over L as their masters, and the head's (V, C)),
//   rounded from the masters at the start of every forward pass: once per training step, after the
//   previous step's update, and once per evaluation batch (a pass over the weights, small beside the
//   batch's GEMMs), so that writes into the parameters from anywhere (a checkpoint load, tests) are
//   always seen. The copies keep the plain layout: each GEMM packs its operands into its panels itself
//   (gemm_bf16.cc), as sgemm does, rather than reading weights packed once per step. The GEMMs read
//   their inputs as bf16, rounded into two scratch buffers as they feed a matmul (xb (N, max(C, F)),
//   dyb (N, max(3C, F)) or the head chunk's (chunk, V)), and accumulate in fp32. Without dropout the
//   FFN's activation writes linear2's operand straight into xb, and backward writes linear1's output
//   gradient straight into dyb with its bias gradient (ops.h, activation_*_bf16): no (N, F) fp32 act or
//   dfch. Attention does its tile matmuls (QKᵀ, PV and the backward's five) in bf16 as well on every bf16
//   path, rounding q, k, v, dO, P and dS per call or tile (kernels/attention.cc; the generic path
//   multiplies the rounded values on fp32 tiles); its softmax and statistics, LayerNorm, the
//   cross-entropy and every saved activation stay fp32.
//   No loss scaling: bf16 keeps fp32's 8-bit exponent, so gradients that fp32 represents do not
//   underflow in bf16 (fp16's 5-bit exponent is what needs scaling); bf16 gives up mantissa bits only.
//
// Block, as PyTorch nn.TransformerEncoderLayer (causal mask, batch_first):
//   post-LN: res1 = x + drop(attn(x));        ln1 = norm1(res1); res2 = ln1 + drop(ffn(ln1)); out = norm2(res2)
//   pre-LN:  ln1 = norm1(x); res1 = x + drop(attn(ln1)); ln2 = norm2(res1); res2 = res1 + drop(ffn(ln2)); out = res2
//   attn(a) = out_proj(MHA(in_proj(a))) with dropout on attention probabilities;
//   ffn(a) = linear2(drop(act(linear1(a)))). Pre-LN adds a final LayerNorm before the head.
// Loss: position t predicts token t+1; targets equal to pad_id are ignored; mean over the rest.
// Padding goes at the END of a sequence: attention has no padding mask, and causality is what keeps
// real positions from seeing pad positions. Dropout masks come from hash(seed, step, layer, site),
// so a step is reproducible and a resumed run draws the masks it would have drawn.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace motif {

struct Block;  // layers.h
struct Pass;   // layers.h

struct ModelConfig {
  int V = 0, maxT = 0, C = 0, L = 0, NH = 0, F = 0;
  float dropout = 0.f;
  bool pre_ln = false;     // false: post-LN (PyTorch's default layer); true: pre-LN with a final LayerNorm
  bool gelu = false;       // activation: exact GELU, else ReLU
  bool tied_head = false;  // head weight is the token embedding
  bool head_bias = true;
  int pad_id = -1;         // targets equal to pad_id are ignored by the loss (-1: none)
};

/** Error for invalid configurations or arguments (the binding turns it into a JS error). */
struct ModelError : std::exception {
  std::string msg;
  explicit ModelError(std::string m) : msg(std::move(m)) {}
  const char* what() const noexcept override { return msg.c_str(); }
};

/** Every parameter tensor; the same struct points into params, grads, m and v. */
struct Params {
  float* wte;    // (V, C)       tok.weight
  float* wpe;    // (maxT, C)    pos.weight
  float* in_w;   // (L, 3C, C)   encoder.layers.{l}.self_attn.in_proj_weight
  float* in_b;   // (L, 3C)      .self_attn.in_proj_bias
  float* out_w;  // (L, C, C)    .self_attn.out_proj.weight
  float* out_b;  // (L, C)       .self_attn.out_proj.bias
  float* fc1_w;  // (L, F, C)    .linear1.weight
  float* fc1_b;  // (L, F)       .linear1.bias
  float* fc2_w;  // (L, C, F)    .linear2.weight
  float* fc2_b;  // (L, C)       .linear2.bias
  float* ln1_w;  // (L, C)       .norm1.weight
  float* ln1_b;  // (L, C)       .norm1.bias
  float* ln2_w;  // (L, C)       .norm2.weight
  float* ln2_b;  // (L, C)       .norm2.bias
  float* lnf_w;  // (C)          norm.weight   (pre-LN only, else null)
  float* lnf_b;  // (C)          norm.bias     (pre-LN only, else null)
  float* head_w; // (V, C)       head.weight   (= wte when tied)
  float* head_b; // (V)          head.bias     (head_bias only, else null)
};

/** Layer l's slice of every per-layer tensor of a Params (views into the stacked tensors, no storage). */
struct LayerParams {
  float *in_w, *in_b;    // (3C, C), (3C)   self_attn.in_proj
  float *out_w, *out_b;  // (C, C), (C)     self_attn.out_proj
  float *fc1_w, *fc1_b;  // (F, C), (F)     linear1
  float *fc2_w, *fc2_b;  // (C, F), (C)     linear2
  float *ln1_w, *ln1_b;  // (C), (C)        norm1
  float *ln2_w, *ln2_b;  // (C), (C)        norm2
};
/** The views of layer l in `p` (the parameters or the gradients of a model with config `c`). */
LayerParams layer_params(const Params& p, const ModelConfig& c, int l);

/** bf16 copies of the matmul weights, raw bits in the layout of their fp32 masters (stacked over L). */
struct Bf16Weights {
  uint16_t *in_w, *out_w, *fc1_w, *fc2_w;  // (L, 3C, C), (L, C, C), (L, F, C), (L, C, F)
  uint16_t* head_w;                        // (V, C), of wte when the head is tied
};
/** Layer l's slices of a Bf16Weights (all null when `w` is). */
struct LayerBf16 {
  const uint16_t *in_w, *out_w, *fc1_w, *fc2_w;
};
LayerBf16 layer_bf16(const Bf16Weights* w, const ModelConfig& c, int l);

/** Saved activations and scratch for N = B·T rows (see the layout comment above). */
struct Activations {
  float *encoded;                                  // (N, C)
  float *ln1, *ln1_mean, *ln1_rstd;                // (L, N, C), (L, N), (L, N)
  float *qkv, *atty, *lse;                         // (L, N, 3C), (L, N, C), (L, B, NH, T)
  float *res1;                                     // (L, N, C)
  float *ln2, *ln2_mean, *ln2_rstd;                // (L, N, C), (L, N), (L, N)
  float *fch, *res2;                               // (L, N, F), (L, N, C)
  float *lnf, *lnf_mean, *lnf_rstd;                // (N, C), (N), (N)   pre-LN only
  float *proj, *act;                               // scratch (N, C), (N, F): sublayer output, FFN activation
  // Backward's gradient scratch, reused by every layer:
  float* dstream[2];  // (N, C) each: gradient along the residual stream at a block's output and at its input,
                      // trading roles block by block (block l's input is block l-1's output); the gradient
                      // at the final hidden state (dh) arrives in dstream[0]
  float *dres, *dln;     // (N, C): gradient at a residual sum (res1 or res2), at a LayerNorm output (ln1 or ln2)
  float *datty, *dproj;  // (N, C): gradient at the attention output, at a sublayer's output projection
  float *dqkv, *dact;    // (N, 3C), (N, F): gradient at qkv, at the FFN activation (act is reused beside it)
  float *logits, *head_in, *dhead_in;              // (chunk, V), (chunk, C), (chunk, C)
  int32_t *targets, *rows, *chunk_targets;         // (N), (N), (chunk)
};

/** One named tensor of the parameter layout. */
struct TensorInfo {
  std::string name;
  std::vector<int64_t> shape;
  size_t offset;  // in floats from the start of a layout copy
  size_t size;
};

/** Optimizer hyper-parameters of a step (PyTorch AdamW + clip_grad_norm_ semantics). */
struct OptimConfig {
  float beta1 = 0.9f, beta2 = 0.95f, eps = 1e-8f, weight_decay = 0.f;
  float clip = 1.f;  // global grad-norm clip; ≤ 0 disables
  float l1 = 0.f;    // λ of the penalty λ·Σ|w| over all parameters, added before clipping
};

/** Result of an optimizer step. */
struct StepResult {
  double grad_norm;   // before clipping, including the L1 gradient
  double l1_penalty;  // λ·Σ|w| before the update
};

class Model {
 public:
  /** Allocates and initialises like the PyTorch module (see init in model.cc); throws ModelError on a bad config. */
  Model(const ModelConfig& cfg, uint64_t seed);
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const ModelConfig& config() const { return cfg_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  /** Floats per layout copy (padded); the block holds 4 copies. */
  size_t padded_size() const { return n_padded_; }
  /** Real parameter count (no padding, tied head counted once). */
  size_t num_parameters() const;
  float* block() { return block_; }
  /** The parameter tensors (read by the incremental decoder, decoder.h). */
  const Params& weights() const { return p_; }
  float* params() { return block_; }
  float* grads() { return block_ + n_padded_; }
  float* moment1() { return block_ + 2 * n_padded_; }
  float* moment2() { return block_ + 3 * n_padded_; }
  int step() const { return step_; }
  void set_step(int s) { step_ = s; }
  uint64_t seed() const { return seed_; }

  /** Zeroes grads, runs forward + loss + backward; returns the mean next-token loss (grads of that mean).
   *  Dropout (when the config has it) uses masks derived from (seed, step). */
  double forward_backward(const int32_t* tokens, int B, int T);
  /** L1 gradient, global-norm clipping and one AdamW step on the current grads; advances step. */
  StepResult optimizer_step(float lr, const OptimConfig& opt);
  /** Mean next-token loss without dropout or gradients; also returns the target count in *count. */
  double eval_loss(const int32_t* tokens, int B, int T, int64_t* count = nullptr);
  /** out (B, C): mean over positions with mask != 0 of a hidden state (no dropout): the output of the
   *  first `depth` blocks (0: the embeddings), or with depth == L (or -1) the last hidden state, after
   *  the final norm in pre-LN. Shallower depths run only the blocks they need. */
  void embed(float* out, const int32_t* tokens, const uint8_t* mask, int B, int T, int depth = -1);
  /** out (R, V): logits at flat rows b·T + t (no dropout). */
  void logits(float* out, const int32_t* tokens, int B, int T, const int32_t* rows, int R);
  /** The contrastive objective's pair of calls (the loss on the pooled vectors is computed by the caller):
   *  pooled_forward is embed in training mode (dropout on, activations kept, tokens and mask copied);
   *  pooled_backward zeroes grads and backpropagates dout (B, C), the gradient at those pooled vectors. */
  void pooled_forward(float* out, const int32_t* tokens, const uint8_t* mask, int B, int T);
  void pooled_backward(const float* dout);
  /** B of the pending pooled_forward (0 when none): the rows pooled_backward's dout must hold. */
  int pooled_rows() const { return pooled_tokens_.empty() ? 0 : B_; }
  /** sqrt(Σ g²) of the current grads. */
  double grad_norm();
  /** Matmul precision of the passes from now on: bf16 (on the active bf16 GEMM path, ops.h) or fp32. */
  void set_bf16(bool on);
  bool bf16() const { return bf16_; }

 private:
  ModelConfig cfg_;
  uint64_t seed_;
  int step_ = 0;
  std::vector<TensorInfo> tensors_;
  size_t n_padded_ = 0;
  float* block_ = nullptr;
  Params p_{}, g_{};
  Activations a_{};
  float* act_block_ = nullptr;
  int64_t act_rows_ = 0;  // N the activations were allocated for
  int act_layers_ = 0;    // layer slots allocated: L for training, 1 when only evaluation ran so far
  int B_ = 0, T_ = 0;
  // What pooled_forward kept for pooled_backward (empty when no pooled forward is pending).
  std::vector<int32_t> pooled_tokens_;
  std::vector<uint8_t> pooled_mask_;
  uint64_t pooled_seed_ = 0;
  // bf16 mixed precision (see the layout comment): the weights' copies and the GEMM inputs' scratch.
  bool bf16_ = false;
  uint16_t* bf16_weights_ = nullptr;
  Bf16Weights wb_{};
  uint16_t* bf16_scratch_ = nullptr;
  int64_t bf16_scratch_rows_ = 0;
  uint16_t *xb_ = nullptr, *dyb_ = nullptr;

  void layout(Params& p, float* base) const;
  void init_params();
  void ensure_activations(int B, int T, int layers);
  void check_tokens(const int32_t* tokens, int B, int T) const;
  void zero_grad();
  // Seed of this step's dropout masks (from the model's seed and step).
  uint64_t step_seed() const;
  // Rounds the bf16 copies from the current parameters (allocated on first use).
  void refresh_bf16();
  // The layers' view of a pass over B·T rows in the model's precision (bf16 scratch grown on demand).
  Pass pass(int B, int T, float dropout, uint64_t seed);
  // Block l's views, writing or reading activation slot `slot` (layers.h).
  Block block_views(int l, int slot);
  // The whole model as a chain of layers.h's layers; backward starts from dh in a_.dstream[0].
  // depth < L stops after that many blocks (no final norm): embed's intermediate hidden states.
  const float* forward(const int32_t* tokens, int B, int T, bool for_backward, uint64_t step_seed, int depth = -1);
  void backward(const int32_t* tokens, uint64_t step_seed);
};

}  // namespace motif
