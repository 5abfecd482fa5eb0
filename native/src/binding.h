// Shared helpers of the N-API binding files (binding_*.cc): argument checks and typed-array views.
// The binding only checks arguments and wraps typed arrays; all computation is in kernels/ and model.
#pragma once
#include <napi.h>

#include <cstdint>
#include <memory>
#include <string>

namespace motif {

class Model;

void RegisterCore(Napi::Env env, Napi::Object exports);     // binding_core.cc: ISA, threads, sgemm, peak
void RegisterKernels(Napi::Env env, Napi::Object exports);  // binding_kernels.cc: every kernel, for tests
void RegisterModel(Napi::Env env, Napi::Object exports);    // binding_model.cc: the transformer
void RegisterDecoder(Napi::Env env, Napi::Object exports);  // binding_decoder.cc: the KV-cached decoder

/** The native model behind a JS `Model` object (binding_model.cc); a TypeError naming `what` otherwise. */
std::shared_ptr<Model> model_of(const Napi::Value& value, const char* what);

/** The typed array at info[i] as T*, throwing a TypeError naming `what` if it is not one of at least `min` elements. */
template <typename T, napi_typedarray_type K>
T* typed(const Napi::CallbackInfo& info, size_t i, const char* what, size_t min = 0) {
  if (info.Length() <= i || !info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != K)
    throw Napi::TypeError::New(info.Env(), std::string(what) + ": expected a typed array of the right kind");
  auto arr = info[i].As<Napi::TypedArray>();
  if (arr.ElementLength() < min)
    throw Napi::RangeError::New(info.Env(), std::string(what) + ": typed array too short (" +
                                                std::to_string(arr.ElementLength()) + " < " + std::to_string(min) + ")");
  return reinterpret_cast<T*>(static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset());
}
inline float* f32(const Napi::CallbackInfo& info, size_t i, const char* what, size_t min = 0) {
  return typed<float, napi_float32_array>(info, i, what, min);
}
inline int32_t* i32(const Napi::CallbackInfo& info, size_t i, const char* what, size_t min = 0) {
  return typed<int32_t, napi_int32_array>(info, i, what, min);
}
inline uint16_t* u16(const Napi::CallbackInfo& info, size_t i, const char* what, size_t min = 0) {
  return typed<uint16_t, napi_uint16_array>(info, i, what, min);
}
inline uint8_t* u8(const Napi::CallbackInfo& info, size_t i, const char* what, size_t min = 0) {
  return typed<uint8_t, napi_uint8_array>(info, i, what, min);
}
/** Null when info[i] is null or undefined, else as f32(). */
inline float* f32_or_null(const Napi::CallbackInfo& info, size_t i, const char* what, size_t min = 0) {
  if (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  return f32(info, i, what, min);
}
inline int64_t integer(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsNumber())
    throw Napi::TypeError::New(info.Env(), std::string(what) + ": expected a number");
  return info[i].As<Napi::Number>().Int64Value();
}
inline double number(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsNumber())
    throw Napi::TypeError::New(info.Env(), std::string(what) + ": expected a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

}  // namespace motif
