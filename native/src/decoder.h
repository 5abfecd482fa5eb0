// Incremental decoding of motif's transformer (model.h): a KV cache per layer, so that each new
// token costs the forward of one position instead of the whole prefix. Several streams (samples)
// advance together as one batch; all streams hold the same number of positions.
//
// Memory layout: the cache is ONE allocation, [K | V], each (L, S, cap, C): layer l, stream s,
// position j at ((l·S + s)·cap + j)·C, heads concatenated along C as in the qkv rows of model.h.
// Scratch for the rows of one call (S·n of them) is grown on demand and reused.
//
// Positions are absolute (learned position embeddings), so a full cache cannot slide: the caller
// resets and re-encodes the tail it wants to keep (src/generate/ does, and says so).
//
// It computes in fp32 whatever the model's precision (model.h, "bf16 mixed precision"): a step of 1–8
// rows streams every weight once, bound by memory, where only a bf16 GEMV (half the bytes) would help,
// and the bf16 GEMM would repack each weight for a handful of rows.
#pragma once
#include <cstdint>
#include <memory>

#include "model.h"

namespace motif {

class Decoder {
 public:
  /** A decoder of `streams` samples over `model`, holding up to `capacity` positions (≤ maxLen). */
  Decoder(std::shared_ptr<Model> model, int streams, int capacity);
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  int streams() const { return S_; }
  int capacity() const { return cap_; }
  /** Positions held by every stream. */
  int length() const { return len_; }
  /** Forgets every position. */
  void reset() { len_ = 0; }

  /** Appends n tokens to every stream at positions length .. length+n-1 and writes the logits (S, V)
   *  of each stream's last new position. tokens is (S, n), or (n) when `shared`: the same tokens for
   *  every stream, computed once and copied into each stream's cache (a common prompt). */
  void append(const int32_t* tokens, int n, bool shared, float* logits);

 private:
  std::shared_ptr<Model> model_;
  int S_, cap_, len_ = 0;
  float *kv_ = nullptr;     // [K | V] cache
  float* scratch_ = nullptr;
  int64_t scratch_rows_ = 0;
  float *x_, *ln_, *mean_, *rstd_, *qkv_, *atty_, *proj_, *res_, *fch_, *act_, *last_;

  float* keys(int l, int s) const;
  float* values(int l, int s) const;
  void ensure_scratch(int64_t rows);
  // Forward of n positions for `rows_s` streams (1 when shared) writing into cache streams 0..rows_s-1.
  void forward(const int32_t* tokens, int streams, int n, float* logits);
};

}  // namespace motif
