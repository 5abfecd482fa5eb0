// The transformer of model.h: parameter layout and init, activation memory, the whole forward and
// backward as a chain of layers.h's layers, the optimizer step. It owns memory and order; every
// computation is in a layer (layers.cc) or a kernel (ops.h).
#include "model.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "layers.h"
#include "ops.h"

namespace motif {

static constexpr size_t kAlignFloats = 16;  // 64-byte alignment of every tensor

static float* alloc_floats(size_t n) {
  size_t bytes = ((n * sizeof(float) + 63) / 64) * 64;
  void* p = std::aligned_alloc(64, bytes ? bytes : 64);
  if (!p) throw ModelError("out of memory allocating " + std::to_string(bytes >> 20) + " MB");
  std::memset(p, 0, bytes);
  return static_cast<float*>(p);
}

static void check_config(const ModelConfig& c) {
  auto need = [](bool ok, const std::string& what) { if (!ok) throw ModelError("invalid model config: " + what); };
  need(c.V > 0 && c.maxT > 0 && c.C > 0 && c.L > 0 && c.NH > 0 && c.F > 0, "all sizes must be positive");
  need(c.C % c.NH == 0, "dModel (" + std::to_string(c.C) + ") must be divisible by nHeads (" + std::to_string(c.NH) + ")");
  need(c.dropout >= 0.f && c.dropout < 1.f, "dropout must be in [0, 1)");
  need(c.pad_id < c.V, "padId must be < vocabSize or -1");
}

Model::Model(const ModelConfig& cfg, uint64_t seed) : cfg_(cfg), seed_(seed) {
  check_config(cfg);
  const size_t V = cfg.V, C = cfg.C, L = cfg.L, F = cfg.F, maxT = cfg.maxT;
  size_t off = 0;
  auto add = [&](const std::string& name, std::vector<int64_t> shape) {
    size_t n = 1;
    for (int64_t d : shape) n *= (size_t)d;
    tensors_.push_back({name, std::move(shape), off, n});
    off += (n + kAlignFloats - 1) / kAlignFloats * kAlignFloats;
  };
  // Order = declaration order of Params; per-layer tensors are stacked, so the names of layer l are
  // added in a second pass below, pointing into the stacked tensors.
  struct Stacked { const char* name; std::vector<int64_t> shape; };
  const std::vector<Stacked> per_layer = {
      {"self_attn.in_proj_weight", {(int64_t)(3 * C), (int64_t)C}}, {"self_attn.in_proj_bias", {(int64_t)(3 * C)}},
      {"self_attn.out_proj.weight", {(int64_t)C, (int64_t)C}},      {"self_attn.out_proj.bias", {(int64_t)C}},
      {"linear1.weight", {(int64_t)F, (int64_t)C}},                 {"linear1.bias", {(int64_t)F}},
      {"linear2.weight", {(int64_t)C, (int64_t)F}},                 {"linear2.bias", {(int64_t)C}},
      {"norm1.weight", {(int64_t)C}}, {"norm1.bias", {(int64_t)C}}, {"norm2.weight", {(int64_t)C}}, {"norm2.bias", {(int64_t)C}},
  };
  add("tok.weight", {(int64_t)V, (int64_t)C});
  add("pos.weight", {(int64_t)maxT, (int64_t)C});
  // Layers of one stacked tensor are contiguous (layer l at l·n), so kernels index them directly.
  for (const Stacked& s : per_layer) {
    size_t n = 1;
    for (int64_t d : s.shape) n *= (size_t)d;
    for (size_t l = 0; l < L; l++)
      tensors_.push_back({"encoder.layers." + std::to_string(l) + "." + s.name, s.shape, off + l * n, n});
    off += (L * n + kAlignFloats - 1) / kAlignFloats * kAlignFloats;
  }
  if (cfg.pre_ln) { add("norm.weight", {(int64_t)C}); add("norm.bias", {(int64_t)C}); }
  if (!cfg.tied_head) add("head.weight", {(int64_t)V, (int64_t)C});
  if (cfg.head_bias) add("head.bias", {(int64_t)V});
  n_padded_ = off;
  block_ = alloc_floats(4 * n_padded_);
  layout(p_, params());
  layout(g_, grads());
  init_params();
}

Model::~Model() {
  std::free(block_);
  std::free(act_block_);
  std::free(bf16_weights_);
  std::free(bf16_scratch_);
}

// Points every field of `p` into the layout copy at `base`, in the order the constructor laid out.
void Model::layout(Params& p, float* base) const {
  auto at = [&](const std::string& name) -> float* {
    for (const TensorInfo& t : tensors_) if (t.name == name) return base + t.offset;
    return nullptr;
  };
  const std::string l0 = "encoder.layers.0.";
  p.wte = at("tok.weight");
  p.wpe = at("pos.weight");
  p.in_w = at(l0 + "self_attn.in_proj_weight");
  p.in_b = at(l0 + "self_attn.in_proj_bias");
  p.out_w = at(l0 + "self_attn.out_proj.weight");
  p.out_b = at(l0 + "self_attn.out_proj.bias");
  p.fc1_w = at(l0 + "linear1.weight");
  p.fc1_b = at(l0 + "linear1.bias");
  p.fc2_w = at(l0 + "linear2.weight");
  p.fc2_b = at(l0 + "linear2.bias");
  p.ln1_w = at(l0 + "norm1.weight");
  p.ln1_b = at(l0 + "norm1.bias");
  p.ln2_w = at(l0 + "norm2.weight");
  p.ln2_b = at(l0 + "norm2.bias");
  p.lnf_w = at("norm.weight");
  p.lnf_b = at("norm.bias");
  p.head_w = cfg_.tied_head ? p.wte : at("head.weight");
  p.head_b = at("head.bias");
}

size_t Model::num_parameters() const {
  size_t n = 0;
  for (const TensorInfo& t : tensors_) n += t.size;
  return n;
}

// The initialisation of python/motif_model.py's PyTorch defaults (N(0,1) embeddings, xavier in_proj,
// zero attention biases, U(±1/√fan_in) linears), drawn from a seeded splitmix64 stream.
// A tied head would start with logits of scale √C under N(0,1), so tied embeddings use N(0, 1/√C).
void Model::init_params() {
  uint64_t state = mix64(seed_ ^ 0x6d6f746966ULL);
  auto uniform = [&]() { state += 0x9e3779b97f4a7c15ULL; return (double)(mix64(state) >> 11) * (1.0 / 9007199254740992.0); };
  auto fill_uniform = [&](float* w, size_t n, double bound) { for (size_t i = 0; i < n; i++) w[i] = (float)((2 * uniform() - 1) * bound); };
  auto fill_normal = [&](float* w, size_t n, double sd) {
    for (size_t i = 0; i < n; i++) {
      double u1 = std::max(uniform(), 1e-300), u2 = uniform();
      w[i] = (float)(sd * std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2));
    }
  };
  const size_t C = cfg_.C, F = cfg_.F, V = cfg_.V;
  fill_normal(p_.wte, V * C, cfg_.tied_head ? 1 / std::sqrt((double)C) : 1.0);
  fill_normal(p_.wpe, (size_t)cfg_.maxT * C, 1.0);
  for (const TensorInfo& t : tensors_) {
    float* w = params() + t.offset;
    const std::string& n = t.name;
    auto ends = [&](const char* s) { size_t k = std::strlen(s); return n.size() >= k && n.compare(n.size() - k, k, s) == 0; };
    if (ends("in_proj_weight")) fill_uniform(w, t.size, std::sqrt(6.0 / (C + 3 * C)));
    else if (ends("out_proj.weight")) fill_uniform(w, t.size, 1 / std::sqrt((double)C));
    else if (ends("linear1.weight") || ends("linear1.bias")) fill_uniform(w, t.size, 1 / std::sqrt((double)C));
    else if (ends("linear2.weight") || ends("linear2.bias")) fill_uniform(w, t.size, 1 / std::sqrt((double)F));
    else if (ends("norm1.weight") || ends("norm2.weight") || n == "norm.weight") std::fill(w, w + t.size, 1.f);
    else if (n == "head.weight" || n == "head.bias") fill_uniform(w, t.size, 1 / std::sqrt((double)C));
  }
}

void Model::ensure_activations(int B, int T, int layers) {
  const int64_t N = (int64_t)B * T;
  B_ = B;
  T_ = T;
  if (N <= act_rows_ && layers <= act_layers_) return;
  std::free(act_block_);
  act_block_ = nullptr;
  act_rows_ = 0;
  const size_t C = cfg_.C, F = cfg_.F, L = (size_t)layers, NH = cfg_.NH, V = cfg_.V, n = (size_t)N;
  const size_t chunk = head_chunk_rows(n, cfg_.V);
  // (pointer slot, floats) in allocation order; each rounded up to the alignment.
  std::vector<std::pair<float**, size_t>> plan = {
      {&a_.encoded, n * C},   {&a_.ln1, L * n * C},      {&a_.ln1_mean, L * n}, {&a_.ln1_rstd, L * n},
      {&a_.qkv, L * n * 3 * C}, {&a_.atty, L * n * C},   {&a_.lse, L * n * NH}, {&a_.res1, L * n * C},
      {&a_.ln2, L * n * C},   {&a_.ln2_mean, L * n},     {&a_.ln2_rstd, L * n}, {&a_.fch, L * n * F},
      {&a_.res2, L * n * C},  {&a_.proj, n * C},         {&a_.act, n * F},      {&a_.dact, n * F},
      {&a_.dqkv, n * 3 * C},  {&a_.logits, chunk * V},  {&a_.head_in, chunk * C}, {&a_.dhead_in, chunk * C},
  };
  if (cfg_.pre_ln) plan.insert(plan.end(), {{&a_.lnf, n * C}, {&a_.lnf_mean, n}, {&a_.lnf_rstd, n}});
  for (float** d : {&a_.dstream[0], &a_.dstream[1], &a_.dres, &a_.dln, &a_.datty, &a_.dproj}) plan.push_back({d, n * C});
  // Integer buffers share the float allocation (same size, 4 bytes).
  float *targets_slot = nullptr, *rows_slot = nullptr, *chunk_targets_slot = nullptr;
  plan.insert(plan.end(), {{&targets_slot, n}, {&rows_slot, n}, {&chunk_targets_slot, chunk}});
  size_t total = 0;
  for (auto& [slot, count] : plan) total += (count + kAlignFloats - 1) / kAlignFloats * kAlignFloats;
  act_block_ = alloc_floats(total);
  size_t off = 0;
  for (auto& [slot, count] : plan) {
    *slot = act_block_ + off;
    off += (count + kAlignFloats - 1) / kAlignFloats * kAlignFloats;
  }
  a_.targets = reinterpret_cast<int32_t*>(targets_slot);
  a_.rows = reinterpret_cast<int32_t*>(rows_slot);
  a_.chunk_targets = reinterpret_cast<int32_t*>(chunk_targets_slot);
  act_rows_ = N;
  act_layers_ = layers;
}

void Model::check_tokens(const int32_t* tokens, int B, int T) const {
  if (B <= 0 || T <= 0) throw ModelError("batch and sequence length must be positive (got B=" + std::to_string(B) + ", T=" + std::to_string(T) + ")");
  if (T > cfg_.maxT) throw ModelError("sequence length " + std::to_string(T) + " exceeds maxLen " + std::to_string(cfg_.maxT));
  for (int64_t i = 0; i < (int64_t)B * T; i++)
    if (tokens[i] < 0 || tokens[i] >= cfg_.V)
      throw ModelError("token id " + std::to_string(tokens[i]) + " at index " + std::to_string(i) + " is outside [0, " + std::to_string(cfg_.V) + ")");
}

static void zero(float* x, size_t n) { std::memset(x, 0, n * sizeof(float)); }

// Points each slot at its share of one new bf16 allocation (every share on a 64-byte boundary).
static uint16_t* alloc_bf16(const std::vector<std::pair<uint16_t**, size_t>>& plan) {
  auto padded = [](size_t n) { return (n + 31) / 32 * 32; };
  size_t total = 0;
  for (auto& [slot, count] : plan) total += padded(count);
  uint16_t* block = reinterpret_cast<uint16_t*>(alloc_floats(total / 2));
  size_t off = 0;
  for (auto& [slot, count] : plan) {
    *slot = block + off;
    off += padded(count);
  }
  return block;
}

// ── bf16 mixed precision (model.h): the weights' bf16 copies and the pass in the model's precision ──

void Model::set_bf16(bool on) { bf16_ = on; }

void Model::refresh_bf16() {
  const size_t C = cfg_.C, F = cfg_.F, L = cfg_.L, V = cfg_.V;
  const std::vector<std::pair<uint16_t**, size_t>> plan = {
      {&wb_.in_w, L * 3 * C * C}, {&wb_.out_w, L * C * C}, {&wb_.fc1_w, L * F * C}, {&wb_.fc2_w, L * C * F},
      {&wb_.head_w, V * C}};
  if (!bf16_weights_) bf16_weights_ = alloc_bf16(plan);
  const float* masters[] = {p_.in_w, p_.out_w, p_.fc1_w, p_.fc2_w, p_.head_w};
  for (size_t i = 0; i < plan.size(); i++) to_bf16(ops(), *plan[i].first, masters[i], plan[i].second);
}

Pass Model::pass(int B, int T, float dropout, uint64_t seed) {
  if (!bf16_) return Pass(cfg_, B, T, dropout, seed);
  const int64_t N = (int64_t)B * T;
  if (N > bf16_scratch_rows_) {
    std::free(bf16_scratch_);
    const size_t n = N, C = cfg_.C, F = cfg_.F;
    const size_t dy_rows = std::max(n * std::max(3 * C, F), head_chunk_rows(n, cfg_.V) * cfg_.V);
    bf16_scratch_ = alloc_bf16({{&xb_, n * std::max(C, F)}, {&dyb_, dy_rows}});
    bf16_scratch_rows_ = N;
  }
  const Bf16Ops& path = bf16_ops();
  return Pass(cfg_, B, T, dropout, seed,
              {path.gemm, &wb_, xb_, dyb_, path.attention_forward, path.attention_backward});
}

// ── the whole model: embedding → L blocks → final norm (pre-LN), and back (layers.h) ──────────

// for_backward: training mode (dropout on, every block's activations kept); else evaluation, where
// every block uses activation slot 0.
const float* Model::forward(const int32_t* tokens, int B, int T, bool for_backward, uint64_t step_seed, int depth) {
  check_tokens(tokens, B, T);
  ensure_activations(B, T, for_backward ? cfg_.L : 1);
  if (bf16_) refresh_bf16();
  const Pass s = pass(B, T, for_backward ? cfg_.dropout : 0.f, step_seed);
  embedding_forward(s, a_.encoded, tokens, p_);
  const float* x = a_.encoded;
  const int blocks = depth < 0 ? cfg_.L : depth;
  for (int l = 0; l < blocks; l++) x = block_forward(s, block_views(l, for_backward ? l : 0), a_, x);
  if (blocks < cfg_.L) return x;
  if (cfg_.pre_ln) {
    final_norm_forward(s, p_, a_, x);
    x = a_.lnf;
  }
  next_token_targets(s, a_, tokens, cfg_.pad_id);
  return x;
}

// From dh (the gradient at the final hidden state, in a_.dstream[0]) down to the embeddings.
void Model::backward(const int32_t* tokens, uint64_t step_seed) {
  const int L = cfg_.L;
  const Pass s = pass(B_, T_, cfg_.dropout, step_seed);
  // A block's input is the output of the block below (res2 in pre-LN, ln2 in post-LN), or the embeddings.
  auto input_of = [&](int l) -> const float* {
    if (l == 0) return a_.encoded;
    const LayerActivations below = layer_activations(a_, cfg_, s.N, l - 1);
    return cfg_.pre_ln ? below.res2 : below.ln2;
  };
  float *dout = a_.dstream[0], *din = a_.dstream[1];
  if (cfg_.pre_ln) {
    final_norm_backward(s, p_, g_, a_, layer_activations(a_, cfg_, s.N, L - 1).res2, dout, din);
    std::swap(dout, din);
  }
  for (int l = L - 1; l >= 0; l--) {
    block_backward(s, block_views(l, l), a_, input_of(l), dout, din);
    std::swap(dout, din);
  }
  embedding_backward(s, g_, dout, din, tokens);
}

Block Model::block_views(int l, int slot) {
  return {l, layer_params(p_, cfg_, l), layer_params(g_, cfg_, l), layer_bf16(bf16_ ? &wb_ : nullptr, cfg_, l),
          layer_activations(a_, cfg_, (size_t)B_ * T_, slot)};
}

uint64_t Model::step_seed() const { return mix64(seed_ * 0x2545f4914f6cdd1dULL + (uint64_t)step_); }

// ── public entry points ────────────────────────────────────────────────────────────────────

void Model::zero_grad() { zero(grads(), n_padded_); }

double Model::forward_backward(const int32_t* tokens, int B, int T) {
  const uint64_t seed = step_seed();
  zero_grad();
  const float* h = forward(tokens, B, T, true, seed);
  // dh must not alias h nor any buffer backward writes before reading dh: dstream[0] is the top
  // block's dout (post-LN) or the final norm's (pre-LN), overwritten only after it has been read.
  float* dh = a_.dstream[0];
  zero(dh, (size_t)B * T * cfg_.C);
  double loss = head_loss(pass(B, T, cfg_.dropout, seed), p_, &g_, a_, h, dh, nullptr);
  backward(tokens, seed);
  return loss;
}

double Model::grad_norm() { return std::sqrt(ops().sum_squares(grads(), n_padded_)); }

StepResult Model::optimizer_step(float lr, const OptimConfig& o) {
  const Ops& k = ops();
  StepResult r{0, 0};
  if (o.l1 > 0) {
    r.l1_penalty = o.l1 * k.sum_abs(params(), n_padded_);
    k.l1_grad(grads(), params(), n_padded_, o.l1);
  }
  r.grad_norm = grad_norm();
  // torch.nn.utils.clip_grad_norm_: scale by max_norm / (norm + 1e-6) when that is below 1.
  if (o.clip > 0) {
    double coef = o.clip / (r.grad_norm + 1e-6);
    if (coef < 1.0) k.scale(grads(), n_padded_, (float)coef);
  }
  step_++;
  k.adamw_update(params(), grads(), moment1(), moment2(), n_padded_, lr, o.beta1, o.beta2, o.eps, o.weight_decay, step_);
  return r;
}

double Model::eval_loss(const int32_t* tokens, int B, int T, int64_t* count) {
  const float* h = forward(tokens, B, T, false, 0);
  return head_loss(pass(B, T, 0.f, 0), p_, nullptr, a_, h, nullptr, count);
}

void Model::embed(float* out, const int32_t* tokens, const uint8_t* mask, int B, int T, int depth) {
  if (depth > cfg_.L)
    throw ModelError("embed: depth " + std::to_string(depth) + " is beyond the model's " + std::to_string(cfg_.L) +
                     " layers");
  const float* h = forward(tokens, B, T, false, 0, depth);
  ops().meanpool_forward(out, h, mask, B, T, cfg_.C);
}

void Model::pooled_forward(float* out, const int32_t* tokens, const uint8_t* mask, int B, int T) {
  pooled_seed_ = step_seed();
  const float* h = forward(tokens, B, T, true, pooled_seed_);
  ops().meanpool_forward(out, h, mask, B, T, cfg_.C);
  pooled_tokens_.assign(tokens, tokens + (size_t)B * T);
  pooled_mask_.assign(mask, mask + (size_t)B * T);
}

void Model::pooled_backward(const float* dout) {
  if (pooled_tokens_.empty()) throw ModelError("pooled_backward needs a pooled_forward first");
  zero_grad();
  float* dh = a_.dstream[0];  // where backward starts, as in forward_backward
  zero(dh, (size_t)B_ * T_ * cfg_.C);
  ops().meanpool_backward(dh, dout, pooled_mask_.data(), B_, T_, cfg_.C);
  backward(pooled_tokens_.data(), pooled_seed_);
  pooled_tokens_.clear();
}

void Model::logits(float* out, const int32_t* tokens, int B, int T, const int32_t* rows, int R) {
  const float* h = forward(tokens, B, T, false, 0);
  const int C = cfg_.C;
  const int64_t N = (int64_t)B * T;
  // Gather the requested rows into proj (N, C ≥ R rows) so the head runs as one matmul.
  if (R > N) throw ModelError("more logit rows requested than B·T");
  for (int i = 0; i < R; i++) {
    if (rows[i] < 0 || rows[i] >= N) throw ModelError("logit row " + std::to_string(rows[i]) + " outside [0, B·T)");
    std::memcpy(a_.proj + (size_t)i * C, h + (size_t)rows[i] * C, C * sizeof(float));
  }
  linear_forward(pass(B, T, 0.f, 0), out, a_.proj, p_.head_w, wb_.head_w, p_.head_b, R, C, cfg_.V);
}

}  // namespace motif
