// Binding of the core: CPU features and the active ISA, threads, sgemm, the FMA peak probe.
// Arguments are checked here so that a wrong call from JavaScript throws instead of corrupting memory.
#include "binding.h"
#include "ops.h"
#include "threads.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace motif {

static Napi::Value IsaName(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), ops().isa_name); }

static Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(info.Env(), "setIsa: expected an ISA name");
  std::string name = info[0].As<Napi::String>();
  Isa isa;
  if (!parse_isa(name.c_str(), &isa))
    throw Napi::TypeError::New(info.Env(), "setIsa: unknown ISA '" + name + "' (generic, avx2, avx512)");
  return Napi::Boolean::New(info.Env(), set_isa(isa));
}

static Napi::Value CpuFeaturesValue(const Napi::CallbackInfo& info) {
  const CpuFeatures& f = cpu_features();
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("avx2", f.avx2);
  out.Set("avx512", f.avx512);
  out.Set("avx512bf16", f.avx512_bf16);
  out.Set("best", isa_name(best_isa()));
  return out;
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
  int64_t n = integer(info, 0, "setThreads");
  if (n < 1 || n > 1024) throw Napi::RangeError::New(info.Env(), "setThreads: expected 1..1024, got " + std::to_string(n));
  set_num_threads((int)n);
  return info.Env().Undefined();
}

// Elements a row-major (rows, cols) matrix with row stride ld spans; 0 when empty.
static size_t span(int64_t rows, int64_t cols, int64_t ld) { return rows && cols ? (size_t)((rows - 1) * ld + cols) : 0; }

// sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
static Napi::Value Sgemm(const Napi::CallbackInfo& info) {
  bool ta = info[0].ToBoolean(), tb = info[1].ToBoolean();
  int64_t M = integer(info, 2, "M"), N = integer(info, 3, "N"), K = integer(info, 4, "K");
  float alpha = (float)number(info, 5, "alpha");
  int64_t lda = integer(info, 7, "lda"), ldb = integer(info, 9, "ldb"), ldc = integer(info, 12, "ldc");
  float beta = (float)number(info, 10, "beta");
  if (M < 0 || N < 0 || K < 0 || std::max({M, N, K, lda, ldb, ldc}) > INT32_MAX)
    throw Napi::RangeError::New(info.Env(), "sgemm: M, N, K must be in 0..2^31-1");
  int64_t arows = ta ? K : M, acols = ta ? M : K, brows = tb ? N : K, bcols = tb ? K : N;
  if (lda < std::max<int64_t>(1, acols) || ldb < std::max<int64_t>(1, bcols) || ldc < std::max<int64_t>(1, N))
    throw Napi::RangeError::New(info.Env(), "sgemm: a leading dimension is smaller than its row width");
  const float* A = f32(info, 6, "sgemm A", span(arows, acols, lda));
  const float* B = f32(info, 8, "sgemm B", span(brows, bcols, ldb));
  float* C = f32(info, 11, "sgemm C", span(M, N, ldc));
  ops().sgemm(ta, tb, (int)M, (int)N, (int)K, alpha, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
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
  exports.Set("cpuFeatures", Napi::Function::New(env, CpuFeaturesValue));
  exports.Set("availableIsas", Napi::Function::New(env, AvailableIsas));
  exports.Set("threads", Napi::Function::New(env, Threads));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("sgemm", Napi::Function::New(env, Sgemm));
  exports.Set("fmaPeak", Napi::Function::New(env, FmaPeak));
}

}  // namespace motif
