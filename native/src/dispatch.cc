// Chooses the kernel table at run time: the widest ISA that was compiled in and that both the CPU
// and the OS (saved vector state) support; MOTIF_ISA=generic|avx2|avx512 overrides for testing.
#include <cstdlib>
#include <cstring>

#include "ops.h"

namespace motif {

extern const Ops ops_generic;
#ifdef MOTIF_HAVE_X86_KERNELS
extern const Ops ops_avx2;
extern const Ops ops_avx512;
#endif

static bool cpu_has(Isa isa) {
  if (isa == Isa::generic) return true;
#ifdef MOTIF_HAVE_X86_KERNELS
  __builtin_cpu_init();
  if (isa == Isa::avx2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (isa == Isa::avx512)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma");
#endif
  return false;
}

const Ops* ops_for(Isa isa) {
  if (!cpu_has(isa)) return nullptr;
  switch (isa) {
    case Isa::generic: return &ops_generic;
#ifdef MOTIF_HAVE_X86_KERNELS
    case Isa::avx2: return &ops_avx2;
    case Isa::avx512: return &ops_avx512;
#endif
    default: return nullptr;
  }
}

Isa best_isa() {
  if (ops_for(Isa::avx512)) return Isa::avx512;
  if (ops_for(Isa::avx2)) return Isa::avx2;
  return Isa::generic;
}

static const Ops* initial() {
  const char* env = std::getenv("MOTIF_ISA");
  if (env && *env) {
    Isa want = !std::strcmp(env, "avx512") ? Isa::avx512 : !std::strcmp(env, "avx2") ? Isa::avx2 : Isa::generic;
    if (const Ops* o = ops_for(want)) return o;
  }
  return ops_for(best_isa());
}

static const Ops* active = initial();

const Ops& ops() { return *active; }

bool set_isa(Isa isa) {
  const Ops* o = ops_for(isa);
  if (!o) return false;
  active = o;
  return true;
}

}  // namespace motif
