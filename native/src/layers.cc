// The layers of layers.h, each forward beside its backward: embedding, the block with its attention and
// feed-forward sublayers, the final norm, the head with the loss. Only kernel calls (ops.h) and the
// elementwise residual sums; buffers and their shapes are model.h's.
#include "layers.h"

#include <algorithm>
#include <cstring>

#include "threads.h"

namespace motif {

static constexpr int kIgnore = -100;  // target index the cross-entropy skips (PyTorch's default)
static constexpr size_t kLogitChunkFloats = size_t(1) << 24;

// Dropout sites of a layer: each draws its mask from its own seed (model.h: hash(seed, step, layer, site)).
enum DropSite : int { kEmbedDrop = 0, kAttnProbDrop = 1, kAttnOutDrop = 2, kFfnActDrop = 3, kFfnOutDrop = 4 };

// ── elementwise helpers (memory-bound; split over the pool) ───────────────────────────────────

static void add_to(float* out, const float* a, const float* b, size_t n) {
  parallel_for((int64_t)n, 4096, [&](int64_t s, int64_t e) { for (int64_t i = s; i < e; i++) out[i] = a[i] + b[i]; });
}
static void accumulate(float* out, const float* a, size_t n) {
  parallel_for((int64_t)n, 4096, [&](int64_t s, int64_t e) { for (int64_t i = s; i < e; i++) out[i] += a[i]; });
}
static void zero(float* x, size_t n) { std::memset(x, 0, n * sizeof(float)); }

// ── views and the pass ─────────────────────────────────────────────────────────────────────

LayerParams layer_params(const Params& p, const ModelConfig& c, int l) {
  const size_t C = c.C, F = c.F, i = (size_t)l;
  return {p.in_w + i * 3 * C * C, p.in_b + i * 3 * C, p.out_w + i * C * C, p.out_b + i * C,
          p.fc1_w + i * F * C,    p.fc1_b + i * F,    p.fc2_w + i * C * F, p.fc2_b + i * C,
          p.ln1_w + i * C,        p.ln1_b + i * C,    p.ln2_w + i * C,     p.ln2_b + i * C};
}

LayerActivations layer_activations(const Activations& a, const ModelConfig& c, size_t N, size_t slot) {
  const size_t n = slot * N, nc = n * c.C;
  return {a.ln1 + nc,  a.ln1_mean + n, a.ln1_rstd + n, a.qkv + 3 * nc,   a.atty + nc,  a.lse + n * c.NH,
          a.res1 + nc, a.ln2 + nc,     a.ln2_mean + n, a.ln2_rstd + n, a.fch + n * c.F, a.res2 + nc};
}

LayerBf16 layer_bf16(const Bf16Weights* w, const ModelConfig& c, int l) {
  if (!w) return {};
  const size_t C = c.C, F = c.F, i = (size_t)l;
  return {w->in_w + i * 3 * C * C, w->out_w + i * C * C, w->fc1_w + i * F * C, w->fc2_w + i * C * F};
}

Pass::Pass(const ModelConfig& c, int batch, int time, float dropout, uint64_t step_seed, const Bf16Pass& bf16_pass)
    : k(ops()), B(batch), T(time), C(c.C), F(c.F), NH(c.NH), L(c.L), V(c.V), N((size_t)batch * time),
      pre_ln(c.pre_ln), gelu(c.gelu), p(dropout), seed(step_seed), bf16(bf16_pass) {}

uint64_t Pass::drop_seed(int layer, int site) const {
  return mix64(seed ^ mix64(0x9e3779b97f4a7c15ULL * (uint64_t)(layer * 8 + site + 1)));
}

// ── linear layers in the pass's precision ───────────────────────────────────────────────────
// fp32: the kernels' linear layer. bf16: x (and dy in backward) rounded to bf16 into the pass's scratch
// as they feed the GEMM, W's bf16 copy made once per pass (model.cc), sums, bias and db in fp32.
// Backward rounds x again rather than keeping a bf16 copy of every saved input: one memory-bound pass
// over N·IC values against the 2·N·IC·OC multiply-adds of the two GEMMs.
// x == nullptr (bf16 only): its producer already rounded it into xb; dy == nullptr: into dyb, and
// that producer also added dy's bias gradient (db is then null), as the FFN's fused activation does.

void to_bf16(const Ops& k, uint16_t* dst, const float* src, size_t n) {
  parallel_for((int64_t)n, 1 << 14, [&](int64_t b, int64_t e) { k.f32_to_bf16(dst + b, src + b, (size_t)(e - b)); });
}

void linear_forward(const Pass& s, float* y, const float* x, const float* W, const uint16_t* Wb, const float* b, int N,
                    int IC, int OC) {
  if (!s.bf16.gemm) return s.k.linear_forward(y, x, W, b, N, IC, OC);
  if (x) to_bf16(s.k, s.bf16.xb, x, (size_t)N * IC);
  s.k.linear_forward_bf16(s.bf16.gemm, y, s.bf16.xb, Wb, b, N, IC, OC);
}

// dx (N, IC) += dy · W; dW += dyᵀ · x; db += Σ_rows dy (ops.h's linear_backward), in the pass's precision.
static void linear_backward(const Pass& s, float* dx, float* dW, float* db, const float* dy, const float* x,
                            const float* W, const uint16_t* Wb, int N, int IC, int OC) {
  if (!s.bf16.gemm) return s.k.linear_backward(dx, dW, db, dy, x, W, N, IC, OC);
  if (x) to_bf16(s.k, s.bf16.xb, x, (size_t)N * IC);
  // dy rounded and its columns summed into db in one pass.
  if (dy) s.k.activation_backward_bf16(s.bf16.dyb, db, dy, nullptr, N, OC, Activation::none);
  s.k.linear_backward_bf16(s.bf16.gemm, dx, dW, s.bf16.dyb, s.bf16.xb, Wb, N, IC, OC);
}

// ── embedding: encoded = drop(wte[tokens] + wpe[t]) ───────────────────────────────────────────

void embedding_forward(const Pass& s, float* encoded, const int32_t* tokens, const Params& w) {
  s.k.embedding_forward(encoded, tokens, w.wte, w.wpe, s.B, s.T, s.C);
  if (s.p > 0) s.k.dropout_forward(encoded, encoded, s.N * s.C, s.p, s.drop_seed(s.L, kEmbedDrop));
}

void embedding_backward(const Pass& s, Params& g, const float* dencoded, float* scratch, const int32_t* tokens) {
  const float* demb = dencoded;
  if (s.p > 0) {
    zero(scratch, s.N * s.C);
    s.k.dropout_backward(scratch, dencoded, s.N * s.C, s.p, s.drop_seed(s.L, kEmbedDrop));
    demb = scratch;
  }
  s.k.embedding_backward(g.wte, g.wpe, demb, tokens, s.B, s.T, s.C);
}

// ── the residual around a sublayer: res_out = base + drop(proj) ───────────────────────────────
// Forward is the last line of each sublayer's forward; backward is the first of each backward.

// dbase += dres; returns the gradient at the sublayer's output projection: dres itself, or dres through
// the output dropout (drop site `site`) in a.dproj.
static const float* residual_backward(const Pass& s, Activations& a, int l, int site, const float* dres, float* dbase) {
  const size_t NC = s.N * s.C;
  accumulate(dbase, dres, NC);
  if (s.p <= 0) return dres;
  zero(a.dproj, NC);
  s.k.dropout_backward(a.dproj, dres, NC, s.p, s.drop_seed(l, site));
  return a.dproj;
}

// ── attention sublayer: res1 = base + drop(out_proj(MHA(in_proj(in)))) ─────────────────────────
// MHA is causal with dropout on its probabilities; qkv, atty and lse are kept for backward.

static void attention_sublayer_forward(const Pass& s, const Block& b, Activations& a, const float* in,
                                       const float* base) {
  const Ops& k = s.k;
  const int N = (int)s.N, C = s.C;
  linear_forward(s, b.a.qkv, in, b.w.in_w, b.wb.in_w, b.w.in_b, N, C, 3 * C);
  AttentionForward* attention = s.bf16.attention_forward ? s.bf16.attention_forward : k.attention_forward;
  attention(b.a.atty, b.a.lse, b.a.qkv, s.B, s.T, C, s.NH, s.p, s.drop_seed(b.l, kAttnProbDrop));
  linear_forward(s, a.proj, b.a.atty, b.w.out_w, b.wb.out_w, b.w.out_b, N, C, C);
  if (s.p > 0) k.dropout_forward(a.proj, a.proj, s.N * C, s.p, s.drop_seed(b.l, kAttnOutDrop));
  add_to(b.a.res1, base, a.proj, s.N * C);
}

// dres: gradient at res1. Accumulates into din (at `in`) and dbase (at `base`), which may be one buffer.
static void attention_sublayer_backward(const Pass& s, const Block& b, Activations& a, const float* dres, float* din,
                                        float* dbase, const float* in) {
  const Ops& k = s.k;
  const int N = (int)s.N, C = s.C;
  const float* dproj = residual_backward(s, a, b.l, kAttnOutDrop, dres, dbase);
  zero(a.datty, s.N * C);
  linear_backward(s, a.datty, b.g.out_w, b.g.out_b, dproj, b.a.atty, b.w.out_w, b.wb.out_w, N, C, C);
  zero(a.dqkv, 3 * s.N * C);
  AttentionBackward* attention = s.bf16.attention_backward ? s.bf16.attention_backward : k.attention_backward;
  attention(a.dqkv, a.datty, b.a.qkv, b.a.atty, b.a.lse, s.B, s.T, C, s.NH, s.p, s.drop_seed(b.l, kAttnProbDrop));
  linear_backward(s, din, b.g.in_w, b.g.in_b, a.dqkv, in, b.w.in_w, b.wb.in_w, N, C, 3 * C);
}

// ── feed-forward sublayer: res2 = base + drop(linear2(drop(act(linear1(in))))) ─────────────────
// Only fch (linear1's output) is kept: backward recomputes the dropped activation (saves L·N·F floats).

// The input of linear2, in forward and again in backward: a.act = drop(act(fch)), returned. In bf16
// without dropout, act(fch) goes straight to bf16 into xb, linear2's operand (ops.h's
// activation_forward_bf16), and null is returned: backward then writes dfch straight into dyb too.
static const float* ffn_activation(const Pass& s, const Block& b, Activations& a) {
  const size_t NF = s.N * s.F;
  if (s.bf16.gemm && s.p <= 0) {
    s.k.activation_forward_bf16(s.bf16.xb, b.a.fch, NF, s.activation());
    return nullptr;
  }
  (s.gelu ? s.k.gelu_forward : s.k.relu_forward)(a.act, b.a.fch, NF);
  if (s.p > 0) s.k.dropout_forward(a.act, a.act, NF, s.p, s.drop_seed(b.l, kFfnActDrop));
  return a.act;
}

static void ffn_sublayer_forward(const Pass& s, const Block& b, Activations& a, const float* in, const float* base) {
  const Ops& k = s.k;
  const int N = (int)s.N, C = s.C, F = s.F;
  linear_forward(s, b.a.fch, in, b.w.fc1_w, b.wb.fc1_w, b.w.fc1_b, N, C, F);
  linear_forward(s, a.proj, ffn_activation(s, b, a), b.w.fc2_w, b.wb.fc2_w, b.w.fc2_b, N, F, C);
  if (s.p > 0) k.dropout_forward(a.proj, a.proj, s.N * C, s.p, s.drop_seed(b.l, kFfnOutDrop));
  add_to(b.a.res2, base, a.proj, s.N * C);
}

// dres: gradient at res2. Accumulates into din (at `in`) and dbase (at `base`), which may be one buffer.
static void ffn_sublayer_backward(const Pass& s, const Block& b, Activations& a, const float* dres, float* din,
                                  float* dbase, const float* in) {
  const Ops& k = s.k;
  const int N = (int)s.N, C = s.C, F = s.F;
  const size_t NF = s.N * F;
  const float* dproj = residual_backward(s, a, b.l, kFfnOutDrop, dres, dbase);
  const float* act = ffn_activation(s, b, a);
  zero(a.dact, NF);
  linear_backward(s, a.dact, b.g.fc2_w, b.g.fc2_b, dproj, act, b.w.fc2_w, b.wb.fc2_w, N, F, C);
  if (!act) {  // fused: dfch rounded straight into dyb, with linear1's bias gradient
    k.activation_backward_bf16(s.bf16.dyb, b.g.fc1_b, a.dact, b.a.fch, N, F, s.activation());
    return linear_backward(s, din, b.g.fc1_w, nullptr, nullptr, in, b.w.fc1_w, b.wb.fc1_w, N, C, F);
  }
  // act is free from here. dpost: gradient at the activation's output; dfch: at fch. With dropout, act
  // takes dpost through the dropout's backward and dact is free for dfch.
  float *dfch = a.act, *dpost = a.dact;
  if (s.p > 0) {
    zero(a.act, NF);
    k.dropout_backward(a.act, a.dact, NF, s.p, s.drop_seed(b.l, kFfnActDrop));
    dpost = a.act;
    dfch = a.dact;
  }
  zero(dfch, NF);
  (s.gelu ? k.gelu_backward : k.relu_backward)(dfch, dpost, b.a.fch, NF);
  linear_backward(s, din, b.g.fc1_w, b.g.fc1_b, dfch, in, b.w.fc1_w, b.wb.fc1_w, N, C, F);
}

// ── block: the two sublayers and their norms, in model.h's post-LN or pre-LN order ─────────────

// In evaluation every block shares slot 0: each reads x before it overwrites the buffer x lives in.
const float* block_forward(const Pass& s, const Block& b, Activations& a, const float* x) {
  const Ops& k = s.k;
  const LayerActivations& t = b.a;
  const int N = (int)s.N, C = s.C;
  if (s.pre_ln) {
    k.layernorm_forward(t.ln1, t.ln1_mean, t.ln1_rstd, x, b.w.ln1_w, b.w.ln1_b, N, C);
    attention_sublayer_forward(s, b, a, t.ln1, x);  // res1 = x + attn(norm1(x))
    k.layernorm_forward(t.ln2, t.ln2_mean, t.ln2_rstd, t.res1, b.w.ln2_w, b.w.ln2_b, N, C);
    ffn_sublayer_forward(s, b, a, t.ln2, t.res1);   // res2 = res1 + ffn(norm2(res1))
    return t.res2;
  }
  attention_sublayer_forward(s, b, a, x, x);    // res1 = x + attn(x)
  k.layernorm_forward(t.ln1, t.ln1_mean, t.ln1_rstd, t.res1, b.w.ln1_w, b.w.ln1_b, N, C);
  ffn_sublayer_forward(s, b, a, t.ln1, t.ln1);  // res2 = ln1 + ffn(ln1)
  k.layernorm_forward(t.ln2, t.ln2_mean, t.ln2_rstd, t.res2, b.w.ln2_w, b.w.ln2_b, N, C);
  return t.ln2;
}

void block_backward(const Pass& s, const Block& b, Activations& a, const float* x, const float* dout, float* dx) {
  const Ops& k = s.k;
  const LayerActivations& t = b.a;
  const int N = (int)s.N, C = s.C;
  const size_t NC = s.N * C;
  float *dres = a.dres, *dln = a.dln;
  zero(dln, NC);
  zero(dres, NC);
  zero(dx, NC);
  if (s.pre_ln) {
    // dout is d res2. dln: d ln2, then d ln1; dres: d res1.
    ffn_sublayer_backward(s, b, a, dout, dln, dres, t.ln2);
    k.layernorm_backward(dres, b.g.ln2_w, b.g.ln2_b, dln, t.res1, b.w.ln2_w, t.ln2_mean, t.ln2_rstd, N, C);
    zero(dln, NC);
    attention_sublayer_backward(s, b, a, dres, dln, dx, t.ln1);
    k.layernorm_backward(dx, b.g.ln1_w, b.g.ln1_b, dln, x, b.w.ln1_w, t.ln1_mean, t.ln1_rstd, N, C);
  } else {
    // dout is d ln2. dres: d res2, then d res1; dln: d ln1 (its input and residual paths).
    k.layernorm_backward(dres, b.g.ln2_w, b.g.ln2_b, dout, t.res2, b.w.ln2_w, t.ln2_mean, t.ln2_rstd, N, C);
    ffn_sublayer_backward(s, b, a, dres, dln, dln, t.ln1);
    zero(dres, NC);
    k.layernorm_backward(dres, b.g.ln1_w, b.g.ln1_b, dln, t.res1, b.w.ln1_w, t.ln1_mean, t.ln1_rstd, N, C);
    attention_sublayer_backward(s, b, a, dres, dx, dx, x);
  }
}

// ── final LayerNorm (pre-LN only): lnf = norm(x) ───────────────────────────────────────────────

void final_norm_forward(const Pass& s, const Params& w, Activations& a, const float* x) {
  s.k.layernorm_forward(a.lnf, a.lnf_mean, a.lnf_rstd, x, w.lnf_w, w.lnf_b, (int)s.N, s.C);
}

void final_norm_backward(const Pass& s, const Params& w, Params& g, Activations& a, const float* x, const float* dout,
                         float* dx) {
  zero(dx, s.N * s.C);
  s.k.layernorm_backward(dx, g.lnf_w, g.lnf_b, dout, x, w.lnf_w, a.lnf_mean, a.lnf_rstd, (int)s.N, s.C);
}

// ── head + loss: logits = h · head_wᵀ + head_b; mean cross-entropy over the rows with a target ──
// Forward and backward are fused per chunk: the cross-entropy kernel leaves d logits in place.

size_t head_chunk_rows(size_t N, int V) { return std::min(N, std::max<size_t>(16, kLogitChunkFloats / (size_t)V)); }

void next_token_targets(const Pass& s, Activations& a, const int32_t* tokens, int pad_id) {
  for (int b = 0; b < s.B; b++)
    for (int t = 0; t < s.T; t++) {
      int32_t tgt = t + 1 < s.T ? tokens[(size_t)b * s.T + t + 1] : kIgnore;
      a.targets[(size_t)b * s.T + t] = tgt == pad_id ? kIgnore : tgt;
    }
}

// The rows with a target are gathered into head_in chunk by chunk, so (N, V) logits never exist at once.
double head_loss(const Pass& s, const Params& w, Params* g, Activations& a, const float* h, float* dh,
                 int64_t* count_out) {
  const Ops& k = s.k;
  const int C = s.C, V = s.V;
  const int64_t N = (int64_t)s.N;
  int64_t count = 0;
  for (int64_t r = 0; r < N; r++)
    if (a.targets[r] != kIgnore) a.rows[count++] = (int32_t)r;
  if (count_out) *count_out = count;
  if (count == 0) return 0.0;
  const int64_t chunk = (int64_t)head_chunk_rows(s.N, V);
  const uint16_t* head_wb = s.bf16.w ? s.bf16.w->head_w : nullptr;
  double total = 0;
  for (int64_t c0 = 0; c0 < count; c0 += chunk) {
    const int rows = (int)std::min(chunk, count - c0);
    const int32_t* idx = a.rows + c0;
    for (int i = 0; i < rows; i++) {
      std::memcpy(a.head_in + (size_t)i * C, h + (size_t)idx[i] * C, C * sizeof(float));
      a.chunk_targets[i] = a.targets[idx[i]];
    }
    linear_forward(s, a.logits, a.head_in, w.head_w, head_wb, w.head_b, rows, C, V);
    if (!dh) {
      total += k.crossentropy_forward(nullptr, a.logits, a.chunk_targets, rows, V, kIgnore);
      continue;
    }
    const float scale = (float)(1.0 / count);  // the mean's gradient
    total += k.crossentropy_forward_backward(a.logits, nullptr, a.chunk_targets, rows, V, kIgnore, scale);
    zero(a.dhead_in, (size_t)rows * C);
    linear_backward(s, a.dhead_in, g->head_w, g->head_b, a.logits, a.head_in, w.head_w, head_wb, rows, C, V);
    for (int i = 0; i < rows; i++) {
      float* d = dh + (size_t)idx[i] * C;
      const float* src = a.dhead_in + (size_t)i * C;
      for (int c = 0; c < C; c++) d[c] += src[c];
    }
  }
  return total / count;
}

}  // namespace motif
