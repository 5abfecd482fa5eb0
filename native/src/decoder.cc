// The incremental decoder of decoder.h: the blocks of layers.cc in evaluation mode, one block of new
// positions at a time, with attention over the cache. Same kernels, same order of operations, so its
// logits match a full forward over the same prefix to float rounding (test/generate/decoder.test.ts).
#include "decoder.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "ops.h"

namespace motif {

static float* alloc_zeroed(size_t n) {
  size_t bytes = ((n * sizeof(float) + 63) / 64) * 64;
  void* p = std::aligned_alloc(64, bytes ? bytes : 64);
  if (!p) throw ModelError("out of memory allocating a " + std::to_string(bytes >> 20) + " MB decoder cache");
  std::memset(p, 0, bytes);
  return static_cast<float*>(p);
}

Decoder::Decoder(std::shared_ptr<Model> model, int streams, int capacity) : model_(std::move(model)), S_(streams), cap_(capacity) {
  const ModelConfig& c = model_->config();
  if (streams <= 0) throw ModelError("decoder: streams must be positive");
  if (capacity <= 0 || capacity > c.maxT)
    throw ModelError("decoder: capacity must be in 1.." + std::to_string(c.maxT) + " (the model's maxLen), got " + std::to_string(capacity));
  kv_ = alloc_zeroed(2 * (size_t)c.L * S_ * cap_ * c.C);
}

Decoder::~Decoder() {
  std::free(kv_);
  std::free(scratch_);
}

float* Decoder::keys(int l, int s) const {
  const ModelConfig& c = model_->config();
  return kv_ + ((size_t)l * S_ + s) * cap_ * c.C;
}
float* Decoder::values(int l, int s) const {
  const ModelConfig& c = model_->config();
  return keys(l, s) + (size_t)c.L * S_ * cap_ * c.C;
}

void Decoder::ensure_scratch(int64_t rows) {
  if (rows <= scratch_rows_) return;
  const ModelConfig& c = model_->config();
  const size_t n = (size_t)rows, C = c.C, F = c.F;
  const size_t sizes[] = {n * C, n * C, n, n, n * 3 * C, n * C, n * C, n * C, n * F, n * F, (size_t)S_ * C};
  float** slots[] = {&x_, &ln_, &mean_, &rstd_, &qkv_, &atty_, &proj_, &res_, &fch_, &act_, &last_};
  size_t total = 0;
  for (size_t s : sizes) total += (s + 15) / 16 * 16;
  std::free(scratch_);
  scratch_ = alloc_zeroed(total);
  size_t off = 0;
  for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
    *slots[i] = scratch_ + off;
    off += (sizes[i] + 15) / 16 * 16;
  }
  scratch_rows_ = rows;
}

void Decoder::append(const int32_t* tokens, int n, bool shared, float* logits) {
  const ModelConfig& c = model_->config();
  if (n <= 0) throw ModelError("decoder: append needs at least one token");
  if (len_ + n > cap_)
    throw ModelError("decoder: " + std::to_string(len_) + " + " + std::to_string(n) + " positions exceed its capacity " + std::to_string(cap_));
  const int streams = shared ? 1 : S_;
  for (int64_t i = 0; i < (int64_t)streams * n; i++)
    if (tokens[i] < 0 || tokens[i] >= c.V)
      throw ModelError("token id " + std::to_string(tokens[i]) + " is outside [0, " + std::to_string(c.V) + ")");
  forward(tokens, streams, n, logits);
  if (shared) {
    // Stream 0 computed the common tokens; every other stream gets a copy of its new cache rows and logits.
    const size_t rowBytes = (size_t)n * c.C * sizeof(float), at = (size_t)len_ * c.C;
    for (int l = 0; l < c.L; l++)
      for (int s = 1; s < S_; s++) {
        std::memcpy(keys(l, s) + at, keys(l, 0) + at, rowBytes);
        std::memcpy(values(l, s) + at, values(l, 0) + at, rowBytes);
      }
    for (int s = 1; s < S_; s++) std::memcpy(logits + (size_t)s * c.V, logits, (size_t)c.V * sizeof(float));
  }
  len_ += n;
}

void Decoder::forward(const int32_t* tokens, int streams, int n, float* logits) {
  const ModelConfig& c = model_->config();
  const Params& p = model_->weights();
  const Ops& k = ops();
  const int C = c.C, F = c.F, NH = c.NH, P = len_;
  const int N = streams * n;
  ensure_scratch(N);
  // Positions P .. P+n-1: the position table starts at row P.
  k.embedding_forward(x_, tokens, p.wte, p.wpe + (size_t)P * C, streams, n, C);
  auto add = [](float* out, const float* a, const float* b, size_t count) { for (size_t i = 0; i < count; i++) out[i] = a[i] + b[i]; };
  for (int l = 0; l < c.L; l++) {
    const LayerParams w = layer_params(p, c, l);
    // attention sublayer: res = base + out_proj(attention(in_proj(in))), the new k, v rows cached first.
    auto attention = [&](const float* in, const float* base) {
      k.linear_forward(qkv_, in, w.in_w, w.in_b, N, C, 3 * C);
      for (int s = 0; s < streams; s++)
        for (int t = 0; t < n; t++) {
          const float* row = qkv_ + ((size_t)s * n + t) * 3 * C;
          std::memcpy(keys(l, s) + (size_t)(P + t) * C, row + C, C * sizeof(float));
          std::memcpy(values(l, s) + (size_t)(P + t) * C, row + 2 * C, C * sizeof(float));
        }
      k.attention_cached_forward(atty_, qkv_, 3 * C, keys(l, 0), values(l, 0), streams, n, P, cap_, C, NH);
      k.linear_forward(proj_, atty_, w.out_w, w.out_b, N, C, C);
      add(res_, base, proj_, (size_t)N * C);
    };
    // feed-forward sublayer: out = base + linear2(act(linear1(in))).
    auto ffn = [&](const float* in, const float* base, float* out) {
      k.linear_forward(fch_, in, w.fc1_w, w.fc1_b, N, C, F);
      (c.gelu ? k.gelu_forward : k.relu_forward)(act_, fch_, (size_t)N * F);
      k.linear_forward(proj_, act_, w.fc2_w, w.fc2_b, N, F, C);
      add(out, base, proj_, (size_t)N * C);
    };
    if (c.pre_ln) {
      k.layernorm_forward(ln_, mean_, rstd_, x_, w.ln1_w, w.ln1_b, N, C);
      attention(ln_, x_);                                        // res = x + attn(norm1(x))
      k.layernorm_forward(ln_, mean_, rstd_, res_, w.ln2_w, w.ln2_b, N, C);
      ffn(ln_, res_, x_);                                        // x = res + ffn(norm2(res))
    } else {
      attention(x_, x_);                                         // res = x + attn(x)
      k.layernorm_forward(ln_, mean_, rstd_, res_, w.ln1_w, w.ln1_b, N, C);
      ffn(ln_, ln_, res_);                                       // res = norm1(..) + ffn(norm1(..))
      k.layernorm_forward(x_, mean_, rstd_, res_, w.ln2_w, w.ln2_b, N, C);  // x = norm2(res)
    }
  }
  // Head on the last new position of each stream (after the final LayerNorm in pre-LN).
  for (int s = 0; s < streams; s++) std::memcpy(last_ + (size_t)s * C, x_ + ((size_t)s * n + n - 1) * C, C * sizeof(float));
  if (c.pre_ln) {
    k.layernorm_forward(ln_, mean_, rstd_, last_, p.lnf_w, p.lnf_b, streams, C);
    std::memcpy(last_, ln_, (size_t)streams * C * sizeof(float));
  }
  k.linear_forward(logits, last_, p.head_w, p.head_b, streams, C, c.V);
}

}  // namespace motif
