// The transformer of model.h: parameter layout and init, forward, backward, optimizer step.
// Every computation goes through ops() (ops.h); this file only composes kernels and owns memory.
#include "model.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "ops.h"
#include "threads.h"

namespace motif {

static constexpr size_t kAlignFloats = 16;   // 64-byte alignment of every tensor
static constexpr int kIgnore = -100;         // target index the cross-entropy skips (PyTorch's default)
static constexpr size_t kLogitChunkFloats = size_t(1) << 24;  // head chunk: rows · V ≤ 16M floats (64 MB)

enum DropSite : int { kEmbedDrop = 0, kAttnProbDrop = 1, kAttnOutDrop = 2, kFfnActDrop = 3, kFfnOutDrop = 4 };

static uint64_t mix64(uint64_t x) {
  x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ULL; x ^= x >> 27; x *= 0x94d049bb133111ebULL; x ^= x >> 31;
  return x;
}
static uint64_t dropout_seed(uint64_t step_seed, int layer, int site) {
  return mix64(step_seed ^ mix64(0x9e3779b97f4a7c15ULL * (uint64_t)(layer * 8 + site + 1)));
}

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
  const size_t chunk = std::min(n, std::max<size_t>(16, kLogitChunkFloats / V));
  // (pointer slot, floats) in allocation order; each rounded up to the alignment.
  std::vector<std::pair<float**, size_t>> plan = {
      {&a_.encoded, n * C},   {&a_.ln1, L * n * C},      {&a_.ln1_mean, L * n}, {&a_.ln1_rstd, L * n},
      {&a_.qkv, L * n * 3 * C}, {&a_.atty, L * n * C},   {&a_.lse, L * n * NH}, {&a_.res1, L * n * C},
      {&a_.ln2, L * n * C},   {&a_.ln2_mean, L * n},     {&a_.ln2_rstd, L * n}, {&a_.fch, L * n * F},
      {&a_.res2, L * n * C},  {&a_.proj, n * C},         {&a_.act, n * F},      {&a_.dact, n * F},
      {&a_.dqkv, n * 3 * C},  {&a_.logits, chunk * V},  {&a_.head_in, chunk * C}, {&a_.dhead_in, chunk * C},
  };
  if (cfg_.pre_ln) plan.insert(plan.end(), {{&a_.lnf, n * C}, {&a_.lnf_mean, n}, {&a_.lnf_rstd, n}});
  for (float*& d : a_.dbuf) plan.push_back({&d, n * C});
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

// ── elementwise helpers (memory-bound; split over the pool) ───────────────────────────────────

static void add_to(float* out, const float* a, const float* b, size_t n) {
  parallel_for((int64_t)n, 4096, [&](int64_t s, int64_t e) { for (int64_t i = s; i < e; i++) out[i] = a[i] + b[i]; });
}
static void accumulate(float* out, const float* a, size_t n) {
  parallel_for((int64_t)n, 4096, [&](int64_t s, int64_t e) { for (int64_t i = s; i < e; i++) out[i] += a[i]; });
}
static void zero(float* x, size_t n) { std::memset(x, 0, n * sizeof(float)); }

// ── forward ────────────────────────────────────────────────────────────────────────────────

// for_backward: training mode (dropout on, every layer's activations kept); else evaluation, where
// each layer reads its input before overwriting slot 0, so all layers share it.
const float* Model::forward(const int32_t* tokens, int B, int T, bool for_backward, uint64_t step_seed) {
  check_tokens(tokens, B, T);
  ensure_activations(B, T, for_backward ? cfg_.L : 1);
  const Ops& k = ops();
  const int C = cfg_.C, F = cfg_.F, NH = cfg_.NH, L = cfg_.L;
  const size_t N = (size_t)B * T;
  const float p = for_backward ? cfg_.dropout : 0.f;

  k.embedding_forward(a_.encoded, tokens, p_.wte, p_.wpe, B, T, C);
  if (p > 0) k.dropout_forward(a_.encoded, a_.encoded, N * C, p, dropout_seed(step_seed, L, kEmbedDrop));

  const float* x = a_.encoded;
  for (int l = 0; l < L; l++) {
    const size_t slot = for_backward ? l : 0, lc = slot * N * C, ln = slot * N;
    float *ln1 = a_.ln1 + lc, *qkv = a_.qkv + 3 * lc, *atty = a_.atty + lc, *lse = a_.lse + ln * NH;
    float *res1 = a_.res1 + lc, *ln2 = a_.ln2 + lc, *fch = a_.fch + slot * N * F, *res2 = a_.res2 + lc;
    // The two sublayers, shared by both layouts: res_out = base + drop(sublayer(in)).
    auto attention = [&](const float* in, const float* base) {
      k.linear_forward(qkv, in, p_.in_w + (size_t)l * 3 * C * C, p_.in_b + (size_t)l * 3 * C, (int)N, C, 3 * C);
      k.attention_forward(atty, lse, qkv, B, T, C, NH, p, dropout_seed(step_seed, l, kAttnProbDrop));
      k.linear_forward(a_.proj, atty, p_.out_w + (size_t)l * C * C, p_.out_b + (size_t)l * C, (int)N, C, C);
      if (p > 0) k.dropout_forward(a_.proj, a_.proj, N * C, p, dropout_seed(step_seed, l, kAttnOutDrop));
      add_to(res1, base, a_.proj, N * C);
    };
    auto ffn = [&](const float* in, const float* base) {
      k.linear_forward(fch, in, p_.fc1_w + (size_t)l * F * C, p_.fc1_b + (size_t)l * F, (int)N, C, F);
      (cfg_.gelu ? k.gelu_forward : k.relu_forward)(a_.act, fch, N * F);
      if (p > 0) k.dropout_forward(a_.act, a_.act, N * F, p, dropout_seed(step_seed, l, kFfnActDrop));
      k.linear_forward(a_.proj, a_.act, p_.fc2_w + (size_t)l * C * F, p_.fc2_b + (size_t)l * C, (int)N, F, C);
      if (p > 0) k.dropout_forward(a_.proj, a_.proj, N * C, p, dropout_seed(step_seed, l, kFfnOutDrop));
      add_to(res2, base, a_.proj, N * C);
    };
    float *m1 = a_.ln1_mean + ln, *r1 = a_.ln1_rstd + ln, *m2 = a_.ln2_mean + ln, *r2 = a_.ln2_rstd + ln;
    if (cfg_.pre_ln) {
      k.layernorm_forward(ln1, m1, r1, x, p_.ln1_w + (size_t)l * C, p_.ln1_b + (size_t)l * C, (int)N, C);
      attention(ln1, x);
      k.layernorm_forward(ln2, m2, r2, res1, p_.ln2_w + (size_t)l * C, p_.ln2_b + (size_t)l * C, (int)N, C);
      ffn(ln2, res1);
      x = res2;
    } else {
      attention(x, x);
      k.layernorm_forward(ln1, m1, r1, res1, p_.ln1_w + (size_t)l * C, p_.ln1_b + (size_t)l * C, (int)N, C);
      ffn(ln1, ln1);
      k.layernorm_forward(ln2, m2, r2, res2, p_.ln2_w + (size_t)l * C, p_.ln2_b + (size_t)l * C, (int)N, C);
      x = ln2;
    }
  }
  if (cfg_.pre_ln) {
    k.layernorm_forward(a_.lnf, a_.lnf_mean, a_.lnf_rstd, x, p_.lnf_w, p_.lnf_b, (int)N, C);
    x = a_.lnf;
  }
  // Next-token targets: position t predicts token t+1; the last position and pad targets are ignored.
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++) {
      int32_t tgt = t + 1 < T ? tokens[(size_t)b * T + t + 1] : kIgnore;
      a_.targets[(size_t)b * T + t] = tgt == cfg_.pad_id ? kIgnore : tgt;
    }
  return x;
}

// Head + cross-entropy over chunks of the rows that have a target, gathered from h (N, C). With dh,
// the fused CE gradient of the mean loss flows straight into dh (N, C) and the head's gradients.
double Model::head_loss(const float* h, float* dh, int64_t* count_out) {
  const Ops& k = ops();
  const int C = cfg_.C, V = cfg_.V;
  const int64_t N = (int64_t)B_ * T_;
  int64_t count = 0;
  for (int64_t r = 0; r < N; r++)
    if (a_.targets[r] != kIgnore) a_.rows[count++] = (int32_t)r;
  if (count_out) *count_out = count;
  if (count == 0) return 0.0;
  const int64_t chunk = std::min<int64_t>(N, std::max<int64_t>(16, (int64_t)(kLogitChunkFloats / V)));
  double total = 0;
  for (int64_t c0 = 0; c0 < count; c0 += chunk) {
    const int rows = (int)std::min(chunk, count - c0);
    const int32_t* idx = a_.rows + c0;
    for (int i = 0; i < rows; i++) {
      std::memcpy(a_.head_in + (size_t)i * C, h + (size_t)idx[i] * C, C * sizeof(float));
      a_.chunk_targets[i] = a_.targets[idx[i]];
    }
    k.linear_forward(a_.logits, a_.head_in, p_.head_w, p_.head_b, rows, C, V);
    if (!dh) {
      total += k.crossentropy_forward(nullptr, a_.logits, a_.chunk_targets, rows, V, kIgnore);
      continue;
    }
    total += k.crossentropy_forward_backward(a_.logits, nullptr, a_.chunk_targets, rows, V, kIgnore, (float)(1.0 / count));
    zero(a_.dhead_in, (size_t)rows * C);
    k.linear_backward(a_.dhead_in, g_.head_w, g_.head_b, a_.logits, a_.head_in, p_.head_w, rows, C, V);
    for (int i = 0; i < rows; i++) {
      float* d = dh + (size_t)idx[i] * C;
      const float* s = a_.dhead_in + (size_t)i * C;
      for (int c = 0; c < C; c++) d[c] += s[c];
    }
  }
  return total / count;
}

// ── backward ───────────────────────────────────────────────────────────────────────────────

// dh (N, C): gradient at the final hidden state (the head's input); consumes a_.dbuf.
void Model::backward(const int32_t* tokens, float* dh, uint64_t step_seed) {
  const Ops& k = ops();
  const int B = B_, T = T_, C = cfg_.C, F = cfg_.F, NH = cfg_.NH, L = cfg_.L;
  const size_t N = (size_t)B * T, NC = N * C;
  const float p = cfg_.dropout;
  float* const* d = a_.dbuf;
  // dout: gradient at the current layer's output; dx: at its input (next dout).
  float* dout = dh;
  if (cfg_.pre_ln) {
    const float* x_last = a_.res2 + (size_t)(L - 1) * NC;
    zero(d[1], NC);
    k.layernorm_backward(d[1], g_.lnf_w, g_.lnf_b, dh, x_last, p_.lnf_w, a_.lnf_mean, a_.lnf_rstd, (int)N, C);
    dout = d[1];
  }
  for (int l = L - 1; l >= 0; l--) {
    const size_t lc = (size_t)l * NC, ln = (size_t)l * N;
    const float* x = l == 0 ? a_.encoded : cfg_.pre_ln ? a_.res2 + lc - NC : a_.ln2 + lc - NC;
    float *ln1 = a_.ln1 + lc, *qkv = a_.qkv + 3 * lc, *atty = a_.atty + lc, *lse = a_.lse + ln * NH;
    float *res1 = a_.res1 + lc, *ln2 = a_.ln2 + lc, *fch = a_.fch + (size_t)l * N * F, *res2 = a_.res2 + lc;
    // Buffers other than dout for this layer's gradients, cycled so the input gradient lands in a fresh one.
    float* free_bufs[5];
    for (int i = 0, j = 0; i < 6; i++) if (d[i] != dout) free_bufs[j++] = d[i];
    // Sublayer backward: from dres (gradient at res_out) accumulate into din (sublayer input) and dbase.
    // Shared start of both sublayers' backward: the residual passes dres to dbase; the sublayer's
    // output dropout (drop site `site`) turns dres into the gradient at the output projection.
    auto residual_bwd = [&](const float* dres, float* dbase, int site) -> const float* {
      accumulate(dbase, dres, NC);
      if (p <= 0) return dres;
      zero(free_bufs[4], NC);
      k.dropout_backward(free_bufs[4], dres, NC, p, dropout_seed(step_seed, l, site));
      return free_bufs[4];
    };
    auto attention_bwd = [&](const float* dres, float* din, float* dbase, const float* in) {
      const float* dproj = residual_bwd(dres, dbase, kAttnOutDrop);
      float* datty = free_bufs[3];
      zero(datty, NC);
      k.linear_backward(datty, g_.out_w + (size_t)l * C * C, g_.out_b + (size_t)l * C, dproj, atty,
                        p_.out_w + (size_t)l * C * C, (int)N, C, C);
      zero(a_.dqkv, 3 * NC);
      k.attention_backward(a_.dqkv, datty, qkv, atty, lse, B, T, C, NH, p, dropout_seed(step_seed, l, kAttnProbDrop));
      k.linear_backward(din, g_.in_w + (size_t)l * 3 * C * C, g_.in_b + (size_t)l * 3 * C, a_.dqkv, in,
                        p_.in_w + (size_t)l * 3 * C * C, (int)N, C, 3 * C);
    };
    auto ffn_bwd = [&](const float* dres, float* din, float* dbase, const float* in) {
      const float* dproj = residual_bwd(dres, dbase, kFfnOutDrop);
      // Recompute the (dropped) activation: the input of linear2.
      (cfg_.gelu ? k.gelu_forward : k.relu_forward)(a_.act, fch, N * F);
      if (p > 0) k.dropout_forward(a_.act, a_.act, N * F, p, dropout_seed(step_seed, l, kFfnActDrop));
      zero(a_.dact, N * F);
      k.linear_backward(a_.dact, g_.fc2_w + (size_t)l * C * F, g_.fc2_b + (size_t)l * C, dproj, a_.act,
                        p_.fc2_w + (size_t)l * C * F, (int)N, F, C);
      float *dpre = a_.act, *dpost = a_.dact;  // act is free now
      if (p > 0) {
        zero(a_.act, N * F);
        k.dropout_backward(a_.act, a_.dact, N * F, p, dropout_seed(step_seed, l, kFfnActDrop));
        dpost = a_.act;
        dpre = a_.dact;
      }
      zero(dpre, N * F);
      (cfg_.gelu ? k.gelu_backward : k.relu_backward)(dpre, dpost, fch, N * F);
      k.linear_backward(din, g_.fc1_w + (size_t)l * F * C, g_.fc1_b + (size_t)l * F, dpre, in,
                        p_.fc1_w + (size_t)l * F * C, (int)N, C, F);
    };
    float *g_ln1w = g_.ln1_w + (size_t)l * C, *g_ln1b = g_.ln1_b + (size_t)l * C;
    float *g_ln2w = g_.ln2_w + (size_t)l * C, *g_ln2b = g_.ln2_b + (size_t)l * C;
    const float *w_ln1 = p_.ln1_w + (size_t)l * C, *w_ln2 = p_.ln2_w + (size_t)l * C;
    float *dA = free_bufs[0], *dB = free_bufs[1], *dx = free_bufs[2];
    zero(dA, NC);
    zero(dB, NC);
    zero(dx, NC);
    if (cfg_.pre_ln) {
      // dout = d res2.  dA = d ln2, dB = d res1, then dA = d ln1.
      ffn_bwd(dout, dA, dB, ln2);
      k.layernorm_backward(dB, g_ln2w, g_ln2b, dA, res1, w_ln2, a_.ln2_mean + ln, a_.ln2_rstd + ln, (int)N, C);
      zero(dA, NC);
      attention_bwd(dB, dA, dx, ln1);
      k.layernorm_backward(dx, g_ln1w, g_ln1b, dA, x, w_ln1, a_.ln1_mean + ln, a_.ln1_rstd + ln, (int)N, C);
    } else {
      // dout = d ln2.  dA = d res2, dB = d ln1, then dA = d res1.
      k.layernorm_backward(dA, g_ln2w, g_ln2b, dout, res2, w_ln2, a_.ln2_mean + ln, a_.ln2_rstd + ln, (int)N, C);
      ffn_bwd(dA, dB, dB, ln1);
      zero(dA, NC);
      k.layernorm_backward(dA, g_ln1w, g_ln1b, dB, res1, w_ln1, a_.ln1_mean + ln, a_.ln1_rstd + ln, (int)N, C);
      attention_bwd(dA, dx, dx, x);
    }
    dout = dx;
  }
  const float* demb = dout;
  if (p > 0) {
    float* buf = dout == d[0] ? d[1] : d[0];
    zero(buf, NC);
    k.dropout_backward(buf, dout, NC, p, dropout_seed(step_seed, L, kEmbedDrop));
    demb = buf;
  }
  k.embedding_backward(g_.wte, g_.wpe, demb, tokens, B, T, C);
}

// ── public entry points ────────────────────────────────────────────────────────────────────

void Model::zero_grad() { zero(grads(), n_padded_); }

double Model::forward_backward(const int32_t* tokens, int B, int T) {
  const uint64_t step_seed = mix64(seed_ * 0x2545f4914f6cdd1dULL + (uint64_t)step_);
  zero_grad();
  const float* h = forward(tokens, B, T, true, step_seed);
  // dh must not alias h nor any buffer backward uses before reading dh: the last of dbuf is cycled in
  // only after the top layer has consumed dh.
  float* dh = a_.dbuf[5];
  zero(dh, (size_t)B * T * cfg_.C);
  double loss = head_loss(h, dh, nullptr);
  backward(tokens, dh, step_seed);
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
  return head_loss(h, nullptr, count);
}

void Model::embed(float* out, const int32_t* tokens, const uint8_t* mask, int B, int T) {
  const float* h = forward(tokens, B, T, false, 0);
  ops().meanpool_forward(out, h, mask, B, T, cfg_.C);
}

void Model::pooled_forward(float* out, const int32_t* tokens, const uint8_t* mask, int B, int T) {
  pooled_seed_ = mix64(seed_ * 0x2545f4914f6cdd1dULL + (uint64_t)step_);
  const float* h = forward(tokens, B, T, true, pooled_seed_);
  ops().meanpool_forward(out, h, mask, B, T, cfg_.C);
  pooled_tokens_.assign(tokens, tokens + (size_t)B * T);
  pooled_mask_.assign(mask, mask + (size_t)B * T);
}

void Model::pooled_backward(const float* dout) {
  if (pooled_tokens_.empty()) throw ModelError("pooled_backward needs a pooled_forward first");
  zero_grad();
  // As in forward_backward: the last gradient buffer is free until the top layer has consumed dh.
  float* dh = a_.dbuf[5];
  zero(dh, (size_t)B_ * T_ * cfg_.C);
  ops().meanpool_backward(dh, dout, pooled_mask_.data(), B_, T_, cfg_.C);
  backward(pooled_tokens_.data(), dh, pooled_seed_);
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
  ops().linear_forward(out, a_.proj, p_.head_w, p_.head_b, R, C, cfg_.V);
}

}  // namespace motif
