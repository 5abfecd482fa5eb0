// Binding of the incremental decoder (decoder.h) as the JS class `Decoder`:
// new Decoder(model, streams, capacity); append(tokens, n, shared) → Float32Array (streams · V);
// reset(); length(). It holds the model's native object, so the weights outlive a dropped JS Model.
#include "binding.h"
#include "decoder.h"

namespace motif {

class DecoderWrap : public Napi::ObjectWrap<DecoderWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Decoder", {
        InstanceMethod("append", &DecoderWrap::Append),
        InstanceMethod("reset", &DecoderWrap::Reset),
        InstanceMethod("length", &DecoderWrap::Length),
    });
  }

  explicit DecoderWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DecoderWrap>(info) {
    std::shared_ptr<Model> model = model_of(info[0], "Decoder(model, streams, capacity)");
    V_ = model->config().V;
    try {
      decoder_ = std::make_unique<Decoder>(model, (int)integer(info, 1, "streams"), (int)integer(info, 2, "capacity"));
    } catch (const ModelError& e) {
      throw Napi::Error::New(info.Env(), e.what());
    }
  }

 private:
  std::unique_ptr<Decoder> decoder_;
  int V_ = 0;

  Napi::Value Append(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const int n = (int)integer(info, 1, "n");
    if (n <= 0) throw Napi::RangeError::New(env, "append: n must be positive");
    const bool shared = info.Length() > 2 && info[2].ToBoolean().Value();
    const int32_t* tokens = i32(info, 0, "tokens", (size_t)n * (shared ? 1 : decoder_->streams()));
    Napi::Float32Array out = Napi::Float32Array::New(env, (size_t)decoder_->streams() * V_);
    try {
      decoder_->append(tokens, n, shared, out.Data());
    } catch (const ModelError& e) {
      throw Napi::Error::New(env, e.what());
    }
    return out;
  }
  Napi::Value Reset(const Napi::CallbackInfo& info) {
    decoder_->reset();
    return info.Env().Undefined();
  }
  Napi::Value Length(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), decoder_->length()); }
};

void RegisterDecoder(Napi::Env env, Napi::Object exports) { exports.Set("Decoder", DecoderWrap::Define(env)); }

}  // namespace motif
