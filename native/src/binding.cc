// Entry point of the motif_native addon: each binding_*.cc registers its own functions.
#include "binding.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  motif::RegisterCore(env, exports);
  motif::RegisterKernels(env, exports);
  motif::RegisterModel(env, exports);
  motif::RegisterDecoder(env, exports);
  return exports;
}

NODE_API_MODULE(motif_native, Init)
