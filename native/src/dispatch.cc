// Chooses the kernel table at run time: the widest ISA that was compiled in and that both the CPU
// (CPUID) and the OS (XGETBV: the kernel saves ymm/zmm state on context switches) support;
// MOTIF_ISA=generic|avx2|avx512 overrides for testing. Non-x86 builds carry only the generic table.
// The bf16 GEMM path is chosen apart (MOTIF_BF16=generic|avx512bf16|amx), because its generic path
// runs on whichever fp32 table is active; AMX also needs Linux's permission, requested at load.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#if defined(__linux__) && defined(__x86_64__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "ops.h"

namespace motif {

extern const Ops ops_generic;
#ifdef MOTIF_HAVE_X86_KERNELS
extern const Ops ops_avx2;
extern const Ops ops_avx512;
namespace avx512 {
GemmBf16 gemm_bf16_dpbf16, gemm_bf16_amx;
PeakLoop dpbf16_peak_loop, amx_bf16_peak_loop;
AttentionForward attention_forward_dpbf16;
AttentionBackward attention_backward_dpbf16;
}  // namespace avx512
#endif

namespace {

/** Asks Linux for the AMX tile data state (8 KiB per thread, which the kernel hands out only on request,
 *  for the whole process); without it the first tile instruction dies with SIGILL. */
bool request_amx_permission() {
#if defined(__linux__) && defined(__x86_64__)
  constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#else
  return true;  // other systems enable tile state with XCR0 alone
#endif
}

CpuFeatures detect() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
  bool fma = ecx & (1u << 12), osxsave = ecx & (1u << 27), avx = ecx & (1u << 28), f16c = ecx & (1u << 29);
  if (!osxsave || !avx) return f;
  unsigned xcr0_lo, xcr0_hi;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  bool os_ymm = (xcr0_lo & 0x6) == 0x6;     // SSE and AVX state
  bool os_zmm = (xcr0_lo & 0xe6) == 0xe6;  // plus opmask, upper ZMM0-15, ZMM16-31
  if (!os_ymm || __get_cpuid_max(0, nullptr) < 7) return f;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  bool avx2 = ebx & (1u << 5), avx512f = ebx & (1u << 16), avx512dq = ebx & (1u << 17),
       avx512bw = ebx & (1u << 30), avx512vl = ebx & (1u << 31);
  unsigned max_sub = eax;
  f.avx2 = avx2 && fma && f16c;
  f.avx512 = f.avx2 && os_zmm && avx512f && avx512dq && avx512bw && avx512vl;
  f.amx_cpu = (edx & (1u << 22)) && (edx & (1u << 24));  // AMX-BF16, AMX-TILE
  f.amx_os = (xcr0_lo & (3u << 17)) == (3u << 17);      // XTILECFG, XTILEDATA
  if (f.avx512 && max_sub >= 1) {
    __cpuid_count(7, 1, eax, ebx, ecx, edx);
    f.avx512_bf16 = eax & (1u << 5);
  }
  f.amx_permitted = f.amx_cpu && f.amx_os && request_amx_permission();
#endif
  return f;
}

const Ops* compiled(Isa isa) {
  switch (isa) {
    case Isa::generic: return &ops_generic;
#ifdef MOTIF_HAVE_X86_KERNELS
    case Isa::avx2: return &ops_avx2;
    case Isa::avx512: return &ops_avx512;
#endif
    default: return nullptr;
  }
}

const Ops* initial() {
  const char* env = std::getenv("MOTIF_ISA");
  if (env && *env) {
    Isa want;
    if (parse_isa(env, &want)) {
      if (const Ops* o = ops_for(want)) return o;
    }
    // An override that cannot be honoured is worth a warning, not a crash: the default still works.
    std::fprintf(stderr, "motif: MOTIF_ISA=%s is unknown or not supported here; using %s\n", env,
                 ops_for(best_isa())->isa_name);
  }
  return ops_for(best_isa());
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = detect();
  return f;
}

bool parse_isa(const char* name, Isa* out) {
  for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx512})
    if (!std::strcmp(name, isa_name(isa))) return *out = isa, true;
  return false;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::avx512: return "avx512";
    case Isa::avx2: return "avx2";
    default: return "generic";
  }
}

const Ops* ops_for(Isa isa) {
  const CpuFeatures& f = cpu_features();
  bool supported = isa == Isa::generic || (isa == Isa::avx2 && f.avx2) || (isa == Isa::avx512 && f.avx512);
  return supported ? compiled(isa) : nullptr;
}

Isa best_isa() {
  if (ops_for(Isa::avx512)) return Isa::avx512;
  if (ops_for(Isa::avx2)) return Isa::avx2;
  return Isa::generic;
}

// Atomic because pool threads read it while JavaScript may call setIsa between kernels.
static std::atomic<const Ops*> active{initial()};

const Ops& ops() { return *active.load(std::memory_order_relaxed); }

bool set_isa(Isa isa) {
  const Ops* o = ops_for(isa);
  if (!o) return false;
  active.store(o, std::memory_order_relaxed);
  return true;
}

// ---- bf16 paths ---------------------------------------------------------------------------------

namespace {

void gemm_bf16_widened(bool transA, bool transB, int M, int N, int K, float alpha, const uint16_t* A, int lda,
                       const uint16_t* B, int ldb, float beta, float* C, int ldc) {
  ops().gemm_bf16(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void attention_forward_rounded(float* out, float* lse, const float* qkv, int B, int T, int C, int NH, float dropout_p,
                               uint64_t seed) {
  ops().attention_forward_bf16(out, lse, qkv, B, T, C, NH, dropout_p, seed);
}

void attention_backward_rounded(float* dqkv, const float* dout, const float* qkv, const float* out, const float* lse,
                                int B, int T, int C, int NH, float dropout_p, uint64_t seed) {
  ops().attention_backward_bf16(dqkv, dout, qkv, out, lse, B, T, C, NH, dropout_p, seed);
}

const Bf16Ops bf16_generic{"generic", gemm_bf16_widened, nullptr, attention_forward_rounded,
                           attention_backward_rounded};
#ifdef MOTIF_HAVE_X86_KERNELS
const Bf16Ops bf16_avx512bf16{"avx512bf16", avx512::gemm_bf16_dpbf16, avx512::dpbf16_peak_loop,
                               avx512::attention_forward_dpbf16, avx512::attention_backward_dpbf16};
const Bf16Ops bf16_amx{"amx", avx512::gemm_bf16_amx, avx512::amx_bf16_peak_loop, avx512::attention_forward_dpbf16,
                        avx512::attention_backward_dpbf16};
#endif

constexpr Bf16Path kBf16Paths[] = {Bf16Path::generic, Bf16Path::avx512bf16, Bf16Path::amx};

const Bf16Ops* initial_bf16() {
  const char* env = std::getenv("MOTIF_BF16");
  if (env && *env) {
    Bf16Path want;
    if (parse_bf16_path(env, &want)) {
      if (const Bf16Ops* o = bf16_ops_for(want)) return o;
    }
    std::fprintf(stderr, "motif: MOTIF_BF16=%s is unknown or not supported here; using %s\n", env,
                 bf16_path_name(best_bf16_path()));
  }
  return bf16_ops_for(best_bf16_path());
}

}  // namespace

const char* bf16_path_name(Bf16Path path) {
  switch (path) {
    case Bf16Path::amx: return "amx";
    case Bf16Path::avx512bf16: return "avx512bf16";
    default: return "generic";
  }
}

bool parse_bf16_path(const char* name, Bf16Path* out) {
  for (Bf16Path p : kBf16Paths)
    if (!std::strcmp(name, bf16_path_name(p))) return *out = p, true;
  return false;
}

const Bf16Ops* bf16_ops_for(Bf16Path path) {
  const CpuFeatures& f = cpu_features();
  switch (path) {
    case Bf16Path::generic: return &bf16_generic;
#ifdef MOTIF_HAVE_X86_KERNELS
    case Bf16Path::avx512bf16: return f.avx512 && f.avx512_bf16 ? &bf16_avx512bf16 : nullptr;
    case Bf16Path::amx: return f.amx() ? &bf16_amx : nullptr;
#endif
    default: return (void)f, nullptr;
  }
}

Bf16Path best_bf16_path() {
  if (bf16_ops_for(Bf16Path::amx)) return Bf16Path::amx;
  if (bf16_ops_for(Bf16Path::avx512bf16)) return Bf16Path::avx512bf16;
  return Bf16Path::generic;
}

static std::atomic<const Bf16Ops*> active_bf16{initial_bf16()};

const Bf16Ops& bf16_ops() { return *active_bf16.load(std::memory_order_relaxed); }

bool set_bf16_path(Bf16Path path) {
  const Bf16Ops* o = bf16_ops_for(path);
  if (!o) return false;
  active_bf16.store(o, std::memory_order_relaxed);
  return true;
}

}  // namespace motif
