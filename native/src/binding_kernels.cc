// Binding of the kernels functions (filled in as they land).
#include "binding.h"

namespace motif {

void RegisterKernels(Napi::Env, Napi::Object) {}

}  // namespace motif
