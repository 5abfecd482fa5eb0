// Binding of every layer kernel of the active ISA table, for tests and benchmarks: checks argument
// kinds, sizes and index ranges, then calls ops(). Computation lives in kernels/; nothing here but
// checks. Argument order follows native/src/ops.h; optional gradients may be null.
#include <string>

#include "binding.h"
#include "ops.h"

namespace motif {
namespace {

using Info = Napi::CallbackInfo;

size_t sz(int64_t a, int64_t b = 1, int64_t c = 1) { return (size_t)(a * b * c); }

/** info[i] as an int ≥ min, else a RangeError naming it. */
int dim(const Info& info, size_t i, const char* what, int64_t min = 1) {
  int64_t v = integer(info, i, what);
  if (v < min || v > 0x7fffffff)
    throw Napi::RangeError::New(info.Env(), std::string(what) + ": expected an integer ≥ " + std::to_string(min) +
                                                ", got " + std::to_string(v));
  return (int)v;
}

float probability(const Info& info, size_t i, const char* what) {
  double p = number(info, i, what);
  if (!(p >= 0 && p < 1)) throw Napi::RangeError::New(info.Env(), std::string(what) + ": expected 0 ≤ p < 1");
  return (float)p;
}

uint64_t seed_arg(const Info& info, size_t i) {
  double s = number(info, i, "seed");
  if (!(s >= 0 && s <= 9007199254740991.0 && s == (double)(uint64_t)s))
    throw Napi::RangeError::New(info.Env(), "seed: expected an integer in [0, 2^53)");
  return (uint64_t)s;
}

/** Throws unless every id lies in [0, limit) (or equals `allowed`). */
void check_ids(const Info& info, const int32_t* ids, size_t n, int64_t limit, const char* what,
               int64_t allowed = -0x100000000LL) {
  for (size_t i = 0; i < n; i++)
    if ((ids[i] < 0 || ids[i] >= limit) && ids[i] != allowed)
      throw Napi::RangeError::New(info.Env(), std::string(what) + "[" + std::to_string(i) + "] = " +
                                                  std::to_string(ids[i]) + " is outside [0, " + std::to_string(limit) +
                                                  ")");
}

/** Element count of the typed array at info[i] (a TypeError if it is none). */
size_t length(const Info& info, size_t i) {
  if (info.Length() <= i || !info[i].IsTypedArray())
    throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + ": expected a typed array");
  return info[i].As<Napi::TypedArray>().ElementLength();
}

Napi::Value Undefined(const Info& info) { return info.Env().Undefined(); }

// linearForward(y, x, W, b|null, N, IC, OC)
Napi::Value LinearForward(const Info& info) {
  int N = dim(info, 4, "N"), IC = dim(info, 5, "IC"), OC = dim(info, 6, "OC");
  ops().linear_forward(f32(info, 0, "y", sz(N, OC)), f32(info, 1, "x", sz(N, IC)), f32(info, 2, "W", sz(OC, IC)),
                       f32_or_null(info, 3, "b", sz(OC)), N, IC, OC);
  return Undefined(info);
}

// linearBackward(dx|null, dW|null, db|null, dy, x, W, N, IC, OC)
Napi::Value LinearBackward(const Info& info) {
  int N = dim(info, 6, "N"), IC = dim(info, 7, "IC"), OC = dim(info, 8, "OC");
  ops().linear_backward(f32_or_null(info, 0, "dx", sz(N, IC)), f32_or_null(info, 1, "dW", sz(OC, IC)),
                        f32_or_null(info, 2, "db", sz(OC)), f32(info, 3, "dy", sz(N, OC)), f32(info, 4, "x", sz(N, IC)),
                        f32(info, 5, "W", sz(OC, IC)), N, IC, OC);
  return Undefined(info);
}

// embeddingForward(out, tokens, wte, wpe, B, T, C): V and maxT are taken from the table lengths.
Napi::Value EmbeddingForward(const Info& info) {
  int B = dim(info, 4, "B"), T = dim(info, 5, "T"), C = dim(info, 6, "C");
  const int32_t* tokens = i32(info, 1, "tokens", sz(B, T));
  const float* wte = f32(info, 2, "wte", sz(C));
  check_ids(info, tokens, sz(B, T), (int64_t)(length(info, 2) / C), "tokens");
  ops().embedding_forward(f32(info, 0, "out", sz(B, T, C)), tokens, wte, f32(info, 3, "wpe", sz(T, C)), B, T, C);
  return Undefined(info);
}

// embeddingBackward(dwte|null, dwpe|null, dout, tokens, B, T, C)
Napi::Value EmbeddingBackward(const Info& info) {
  int B = dim(info, 4, "B"), T = dim(info, 5, "T"), C = dim(info, 6, "C");
  const int32_t* tokens = i32(info, 3, "tokens", sz(B, T));
  float* dwte = f32_or_null(info, 0, "dwte", sz(C));
  if (dwte) check_ids(info, tokens, sz(B, T), (int64_t)(length(info, 0) / C), "tokens");
  ops().embedding_backward(dwte, f32_or_null(info, 1, "dwpe", sz(T, C)), f32(info, 2, "dout", sz(B, T, C)), tokens, B,
                           T, C);
  return Undefined(info);
}

// layernormForward(out, mean, rstd, x, w, b, N, C)
Napi::Value LayernormForward(const Info& info) {
  int N = dim(info, 6, "N"), C = dim(info, 7, "C");
  ops().layernorm_forward(f32(info, 0, "out", sz(N, C)), f32(info, 1, "mean", sz(N)), f32(info, 2, "rstd", sz(N)),
                          f32(info, 3, "x", sz(N, C)), f32(info, 4, "w", sz(C)), f32(info, 5, "b", sz(C)), N, C);
  return Undefined(info);
}

// layernormBackward(dx|null, dw|null, db|null, dout, x, w, mean, rstd, N, C)
Napi::Value LayernormBackward(const Info& info) {
  int N = dim(info, 8, "N"), C = dim(info, 9, "C");
  ops().layernorm_backward(f32_or_null(info, 0, "dx", sz(N, C)), f32_or_null(info, 1, "dw", sz(C)),
                           f32_or_null(info, 2, "db", sz(C)), f32(info, 3, "dout", sz(N, C)), f32(info, 4, "x", sz(N, C)),
                           f32(info, 5, "w", sz(C)), f32(info, 6, "mean", sz(N)), f32(info, 7, "rstd", sz(N)), N, C);
  return Undefined(info);
}

// Elementwise kernels take the length from their first array: f(out, x) and g(dx, dout, x).
template <void (*const Ops::*K)(float*, const float*, size_t)>
Napi::Value Unary(const Info& info) {
  size_t n = length(info, 0);
  (ops().*K)(f32(info, 0, "out"), f32(info, 1, "x", n), n);
  return Undefined(info);
}
template <void (*const Ops::*K)(float*, const float*, const float*, size_t)>
Napi::Value UnaryBackward(const Info& info) {
  size_t n = length(info, 0);
  (ops().*K)(f32(info, 0, "dx"), f32(info, 1, "dout", n), f32(info, 2, "x", n), n);
  return Undefined(info);
}

// dropoutForward(out, x, p, seed) / dropoutBackward(dx, dout, p, seed)
template <void (*const Ops::*K)(float*, const float*, size_t, float, uint64_t)>
Napi::Value Dropout(const Info& info) {
  size_t n = length(info, 0);
  (ops().*K)(f32(info, 0, "out"), f32(info, 1, "in", n), n, probability(info, 2, "p"), seed_arg(info, 3));
  return Undefined(info);
}

void check_heads(const Info& info, int C, int NH) {
  if (C % NH) throw Napi::RangeError::New(info.Env(), "C must be a multiple of NH");
}

// attentionForward(out, lse, qkv, B, T, C, NH, p, seed), of the active table or, with bf16, the active
// bf16 path's attention (attentionForwardBf16).
template <bool bf16>
Napi::Value AttentionForwardValue(const Info& info) {
  int B = dim(info, 3, "B"), T = dim(info, 4, "T"), C = dim(info, 5, "C"), NH = dim(info, 6, "NH");
  check_heads(info, C, NH);
  motif::AttentionForward* fn = bf16 ? bf16_ops().attention_forward : ops().attention_forward;
  fn(f32(info, 0, "out", sz(B, T, C)), f32(info, 1, "lse", sz(B, NH, T)), f32(info, 2, "qkv", sz(B, T, 3 * (int64_t)C)),
     B, T, C, NH, probability(info, 7, "p"), seed_arg(info, 8));
  return Undefined(info);
}

// attentionBackward(dqkv, dout, qkv, out, lse, B, T, C, NH, p, seed); attentionBackwardBf16 likewise.
template <bool bf16>
Napi::Value AttentionBackwardValue(const Info& info) {
  int B = dim(info, 5, "B"), T = dim(info, 6, "T"), C = dim(info, 7, "C"), NH = dim(info, 8, "NH");
  check_heads(info, C, NH);
  motif::AttentionBackward* fn = bf16 ? bf16_ops().attention_backward : ops().attention_backward;
  fn(f32(info, 0, "dqkv", sz(B, T, 3 * (int64_t)C)), f32(info, 1, "dout", sz(B, T, C)),
     f32(info, 2, "qkv", sz(B, T, 3 * (int64_t)C)), f32(info, 3, "out", sz(B, T, C)), f32(info, 4, "lse", sz(B, NH, T)),
     B, T, C, NH, probability(info, 9, "p"), seed_arg(info, 10));
  return Undefined(info);
}

// crossentropyForwardBackward(logits, losses|null, targets, N, V, ignoreIndex, gradScale) → summed loss
Napi::Value CrossentropyForwardBackward(const Info& info) {
  int N = dim(info, 3, "N"), V = dim(info, 4, "V");
  int ignore = (int)integer(info, 5, "ignoreIndex");
  const int32_t* targets = i32(info, 2, "targets", sz(N));
  check_ids(info, targets, sz(N), V, "targets", ignore);
  double loss = ops().crossentropy_forward_backward(f32(info, 0, "logits", sz(N, V)), f32_or_null(info, 1, "losses", sz(N)),
                                                    targets, N, V, ignore, (float)number(info, 6, "gradScale"));
  return Napi::Number::New(info.Env(), loss);
}

// crossentropyForward(losses|null, logits, targets, N, V, ignoreIndex) → summed loss
Napi::Value CrossentropyForward(const Info& info) {
  int N = dim(info, 3, "N"), V = dim(info, 4, "V");
  int ignore = (int)integer(info, 5, "ignoreIndex");
  const int32_t* targets = i32(info, 2, "targets", sz(N));
  check_ids(info, targets, sz(N), V, "targets", ignore);
  double loss = ops().crossentropy_forward(f32_or_null(info, 0, "losses", sz(N)), f32(info, 1, "logits", sz(N, V)),
                                           targets, N, V, ignore);
  return Napi::Number::New(info.Env(), loss);
}

// meanpoolForward(out, h, mask, B, T, C) / meanpoolBackward(dh, dout, mask, B, T, C)
Napi::Value MeanpoolForward(const Info& info) {
  int B = dim(info, 3, "B"), T = dim(info, 4, "T"), C = dim(info, 5, "C");
  ops().meanpool_forward(f32(info, 0, "out", sz(B, C)), f32(info, 1, "h", sz(B, T, C)), u8(info, 2, "mask", sz(B, T)),
                         B, T, C);
  return Undefined(info);
}
Napi::Value MeanpoolBackward(const Info& info) {
  int B = dim(info, 3, "B"), T = dim(info, 4, "T"), C = dim(info, 5, "C");
  ops().meanpool_backward(f32(info, 0, "dh", sz(B, T, C)), f32(info, 1, "dout", sz(B, C)), u8(info, 2, "mask", sz(B, T)),
                          B, T, C);
  return Undefined(info);
}

// sumSquares(g) / sumAbs(w) → double
template <double (*const Ops::*K)(const float*, size_t)>
Napi::Value Reduce(const Info& info) {
  return Napi::Number::New(info.Env(), (ops().*K)(f32(info, 0, "x"), length(info, 0)));
}

// l1Grad(g, w, l1)
Napi::Value L1Grad(const Info& info) {
  size_t n = length(info, 0);
  ops().l1_grad(f32(info, 0, "g"), f32(info, 1, "w", n), n, (float)number(info, 2, "l1"));
  return Undefined(info);
}

// scale(x, s)
Napi::Value Scale(const Info& info) {
  ops().scale(f32(info, 0, "x"), length(info, 0), (float)number(info, 1, "s"));
  return Undefined(info);
}

// adamwUpdate(w, g, m, v, lr, beta1, beta2, eps, weightDecay, t)
Napi::Value AdamwUpdate(const Info& info) {
  size_t n = length(info, 0);
  int t = dim(info, 9, "t");
  ops().adamw_update(f32(info, 0, "w"), f32(info, 1, "g", n), f32(info, 2, "m", n), f32(info, 3, "v", n), n,
                     (float)number(info, 4, "lr"), (float)number(info, 5, "beta1"), (float)number(info, 6, "beta2"),
                     (float)number(info, 7, "eps"), (float)number(info, 8, "weightDecay"), t);
  return Undefined(info);
}

// f32ToBf16(dst: Uint16Array, src: Float32Array) / bf16ToF32(dst: Float32Array, src: Uint16Array):
// the length is dst's.
Napi::Value F32ToBf16(const Info& info) {
  size_t n = length(info, 0);
  ops().f32_to_bf16(u16(info, 0, "dst (bf16 bits)"), f32(info, 1, "src", n), n);
  return Undefined(info);
}
Napi::Value Bf16ToF32(const Info& info) {
  size_t n = length(info, 0);
  ops().bf16_to_f32(f32(info, 0, "dst"), u16(info, 1, "src (bf16 bits)", n), n);
  return Undefined(info);
}

// The activation of the bf16 kernels: 0 none, 1 relu, 2 gelu (ops.h's Activation).
Activation activation(const Info& info, size_t i) {
  int64_t a = integer(info, i, "activation");
  if (a < 0 || a > 2) throw Napi::RangeError::New(info.Env(), "activation: 0 (none), 1 (relu) or 2 (gelu)");
  return static_cast<Activation>(a);
}
// activationForwardBf16(out: Uint16Array, x, activation): the length is out's.
Napi::Value ActivationForwardBf16(const Info& info) {
  size_t n = length(info, 0);
  ops().activation_forward_bf16(u16(info, 0, "out (bf16 bits)"), f32(info, 1, "x", n), n, activation(info, 2));
  return Undefined(info);
}
// activationBackwardBf16(dxb: Uint16Array, db | null, dout, x, N, F, activation)
Napi::Value ActivationBackwardBf16(const Info& info) {
  int N = dim(info, 4, "N"), F = dim(info, 5, "F");
  ops().activation_backward_bf16(u16(info, 0, "dxb (bf16 bits)", sz(N, F)), f32_or_null(info, 1, "db", F),
                                 f32(info, 2, "dout", sz(N, F)), f32(info, 3, "x", sz(N, F)), N, F,
                                 activation(info, 6));
  return Undefined(info);
}

}  // namespace

void RegisterKernels(Napi::Env env, Napi::Object exports) {
  auto add = [&](const char* name, Napi::Value (*fn)(const Info&)) { exports.Set(name, Napi::Function::New(env, fn)); };
  add("linearForward", LinearForward);
  add("linearBackward", LinearBackward);
  add("embeddingForward", EmbeddingForward);
  add("embeddingBackward", EmbeddingBackward);
  add("layernormForward", LayernormForward);
  add("layernormBackward", LayernormBackward);
  add("reluForward", Unary<&Ops::relu_forward>);
  add("f32ToBf16", F32ToBf16);
  add("bf16ToF32", Bf16ToF32);
  add("reluBackward", UnaryBackward<&Ops::relu_backward>);
  add("geluForward", Unary<&Ops::gelu_forward>);
  add("geluBackward", UnaryBackward<&Ops::gelu_backward>);
  add("activationForwardBf16", ActivationForwardBf16);
  add("activationBackwardBf16", ActivationBackwardBf16);
  add("dropoutForward", Dropout<&Ops::dropout_forward>);
  add("dropoutBackward", Dropout<&Ops::dropout_backward>);
  add("attentionForward", AttentionForwardValue<false>);
  add("attentionBackward", AttentionBackwardValue<false>);
  add("attentionForwardBf16", AttentionForwardValue<true>);
  add("attentionBackwardBf16", AttentionBackwardValue<true>);
  add("crossentropyForwardBackward", CrossentropyForwardBackward);
  add("crossentropyForward", CrossentropyForward);
  add("meanpoolForward", MeanpoolForward);
  add("meanpoolBackward", MeanpoolBackward);
  add("sumSquares", Reduce<&Ops::sum_squares>);
  add("sumAbs", Reduce<&Ops::sum_abs>);
  add("l1Grad", L1Grad);
  add("scale", Scale);
  add("adamwUpdate", AdamwUpdate);
}

}  // namespace motif
