// Binding of the core: CPU features, the active ISA and bf16 path, threads, sgemm and the bf16 GEMM,
// the FMA and bf16 peak probes.
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
  out.Set("amx", f.amx());
  out.Set("amxCpu", f.amx_cpu);
  out.Set("amxOs", f.amx_os);
  out.Set("amxPermitted", f.amx_permitted);
  out.Set("best", isa_name(best_isa()));
  out.Set("bestBf16", bf16_path_name(best_bf16_path()));
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

// The arguments of sgemm and gemmBf16, (transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc),
// checked; the spans say how many elements A, B and C must hold.
struct GemmArgs {
  bool ta, tb;
  int M, N, K, lda, ldb, ldc;
  float alpha, beta;
  size_t a_span, b_span, c_span;
};
static GemmArgs gemm_args(const Napi::CallbackInfo& info, const std::string& name) {
  bool ta = info[0].ToBoolean(), tb = info[1].ToBoolean();
  int64_t M = integer(info, 2, "M"), N = integer(info, 3, "N"), K = integer(info, 4, "K");
  float alpha = (float)number(info, 5, "alpha");
  int64_t lda = integer(info, 7, "lda"), ldb = integer(info, 9, "ldb"), ldc = integer(info, 12, "ldc");
  float beta = (float)number(info, 10, "beta");
  if (M < 0 || N < 0 || K < 0 || std::max({M, N, K, lda, ldb, ldc}) > INT32_MAX)
    throw Napi::RangeError::New(info.Env(), name + ": M, N, K must be in 0..2^31-1");
  int64_t arows = ta ? K : M, acols = ta ? M : K, brows = tb ? N : K, bcols = tb ? K : N;
  if (lda < std::max<int64_t>(1, acols) || ldb < std::max<int64_t>(1, bcols) || ldc < std::max<int64_t>(1, N))
    throw Napi::RangeError::New(info.Env(), name + ": a leading dimension is smaller than its row width");
  return {ta, tb, (int)M, (int)N, (int)K, (int)lda, (int)ldb, (int)ldc, alpha, beta,
          span(arows, acols, lda), span(brows, bcols, ldb), span(M, N, ldc)};
}

// sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
static Napi::Value Sgemm(const Napi::CallbackInfo& info) {
  GemmArgs g = gemm_args(info, "sgemm");
  const float* A = f32(info, 6, "sgemm A", g.a_span);
  const float* B = f32(info, 8, "sgemm B", g.b_span);
  float* C = f32(info, 11, "sgemm C", g.c_span);
  ops().sgemm(g.ta, g.tb, g.M, g.N, g.K, g.alpha, A, g.lda, B, g.ldb, g.beta, C, g.ldc);
  return info.Env().Undefined();
}

// gemmBf16(transA, transB, M, N, K, alpha, A: Uint16Array, lda, B: Uint16Array, ldb, beta, C: Float32Array, ldc)
static Napi::Value GemmBf16Value(const Napi::CallbackInfo& info) {
  GemmArgs g = gemm_args(info, "gemmBf16");
  const uint16_t* A = u16(info, 6, "gemmBf16 A (bf16 bits)", g.a_span);
  const uint16_t* B = u16(info, 8, "gemmBf16 B (bf16 bits)", g.b_span);
  float* C = f32(info, 11, "gemmBf16 C", g.c_span);
  bf16_ops().gemm(g.ta, g.tb, g.M, g.N, g.K, g.alpha, A, g.lda, B, g.ldb, g.beta, C, g.ldc);
  return info.Env().Undefined();
}

static Napi::Value Bf16PathName(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), bf16_ops().name); }

static Napi::Value SetBf16Path(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(info.Env(), "setBf16Path: expected a path name");
  std::string name = info[0].As<Napi::String>();
  Bf16Path path;
  if (!parse_bf16_path(name.c_str(), &path))
    throw Napi::TypeError::New(info.Env(), "setBf16Path: unknown bf16 path '" + name + "' (generic, avx512bf16, amx)");
  return Napi::Boolean::New(info.Env(), set_bf16_path(path));
}

static Napi::Value AvailableBf16Paths(const Napi::CallbackInfo& info) {
  Napi::Array out = Napi::Array::New(info.Env());
  uint32_t i = 0;
  for (Bf16Path p : {Bf16Path::generic, Bf16Path::avx512bf16, Bf16Path::amx})
    if (const Bf16Ops* o = bf16_ops_for(p)) out.Set(i++, Napi::String::New(info.Env(), o->name));
  return out;
}

// Runs `loop(iters)` on every pool thread; the total FLOPs performed.
static double on_every_thread(PeakLoop* loop, int64_t iters) {
  int n = num_threads();
  std::vector<double> flops(n, 0.0);
  parallel_for(n, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) flops[i] = loop(iters);
  });
  double total = 0;
  for (double f : flops) total += f;
  return total;
}

// fmaPeak(iters): runs the FMA loop on every pool thread; returns total FLOPs performed.
static Napi::Value FmaPeak(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), on_every_thread(ops().fma_peak_loop, integer(info, 0, "iters")));
}

// bf16Peak(iters): the active bf16 path's dot-product loop on every pool thread; total FLOPs.
static Napi::Value Bf16Peak(const Napi::CallbackInfo& info) {
  const Bf16Ops& b = bf16_ops();
  if (!b.peak_loop)
    throw Napi::Error::New(info.Env(), std::string("bf16Peak: the ") + b.name +
                                           " bf16 path has no bf16 instruction to probe (its peak is fmaPeak's)");
  return Napi::Number::New(info.Env(), on_every_thread(b.peak_loop, integer(info, 0, "iters")));
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
  exports.Set("bf16Path", Napi::Function::New(env, Bf16PathName));
  exports.Set("setBf16Path", Napi::Function::New(env, SetBf16Path));
  exports.Set("availableBf16Paths", Napi::Function::New(env, AvailableBf16Paths));
  exports.Set("gemmBf16", Napi::Function::New(env, GemmBf16Value));
  exports.Set("bf16Peak", Napi::Function::New(env, Bf16Peak));
}

}  // namespace motif
