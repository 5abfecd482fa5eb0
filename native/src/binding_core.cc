// Binding of the core: which ISA is active, threads, sgemm, the FMA peak probe.
#include "binding.h"
#include "ops.h"
#include "threads.h"

#include <vector>

namespace motif {

static Napi::Value IsaName(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), ops().isa_name); }

static Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  std::string name = info[0].As<Napi::String>();
  Isa isa = name == "avx512" ? Isa::avx512 : name == "avx2" ? Isa::avx2 : Isa::generic;
  if (name != "avx512" && name != "avx2" && name != "generic")
    throw Napi::TypeError::New(info.Env(), "setIsa: unknown ISA '" + name + "' (generic, avx2, avx512)");
  return Napi::Boolean::New(info.Env(), set_isa(isa));
}

static Napi::Value AvailableIsas(const Napi::CallbackInfo& info) {
  Napi::Array out = Napi::Array::New(info.Env());
  uint32_t i = 0;
  for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx512})
    if (const Ops* o = ops_for(isa)) out.Set(i++, Napi::String::New(info.Env(), o->isa_name));
  return out;
}

static Napi::Value Threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), num_threads()); }

static Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  set_num_threads((int)integer(info, 0, "setThreads"));
  return info.Env().Undefined();
}

// sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
static Napi::Value Sgemm(const Napi::CallbackInfo& info) {
  bool ta = info[0].ToBoolean(), tb = info[1].ToBoolean();
  int M = (int)integer(info, 2, "M"), N = (int)integer(info, 3, "N"), K = (int)integer(info, 4, "K");
  float alpha = (float)number(info, 5, "alpha");
  int lda = (int)integer(info, 7, "lda"), ldb = (int)integer(info, 9, "ldb"), ldc = (int)integer(info, 12, "ldc");
  const float* A = f32(info, 6, "A", (size_t)(ta ? K : M) * lda);
  const float* B = f32(info, 8, "B", (size_t)(tb ? N : K) * ldb);
  float beta = (float)number(info, 10, "beta");
  float* C = f32(info, 11, "C", (size_t)M * ldc);
  ops().sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  return info.Env().Undefined();
}

// fmaPeak(iters): runs the FMA loop on every pool thread; returns total FLOPs performed.
static Napi::Value FmaPeak(const Napi::CallbackInfo& info) {
  int64_t iters = integer(info, 0, "iters");
  int n = num_threads();
  std::vector<double> flops(n, 0.0);
  parallel_for(n, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) flops[i] = ops().fma_peak_loop(iters);
  });
  double total = 0;
  for (double f : flops) total += f;
  return Napi::Number::New(info.Env(), total);
}

void RegisterCore(Napi::Env env, Napi::Object exports) {
  exports.Set("isa", Napi::Function::New(env, IsaName));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa));
  exports.Set("availableIsas", Napi::Function::New(env, AvailableIsas));
  exports.Set("threads", Napi::Function::New(env, Threads));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("sgemm", Napi::Function::New(env, Sgemm));
  exports.Set("fmaPeak", Napi::Function::New(env, FmaPeak));
}

}  // namespace motif
