// Binding of the model functions (filled in as they land).
#include "binding.h"

namespace motif {

void RegisterModel(Napi::Env, Napi::Object) {}

}  // namespace motif
