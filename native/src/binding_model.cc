// Binding of the transformer (model.h) as the JS class `Model`: argument checks and typed-array
// views only. The parameter block is exposed as one external ArrayBuffer that keeps the native
// memory alive for as long as any view of it exists, even after the Model object is collected.
#include <memory>

#include "binding.h"
#include "model.h"

namespace motif {

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Model", {
        InstanceMethod("forwardBackward", &ModelWrap::ForwardBackward),
        InstanceMethod("optimizerStep", &ModelWrap::OptimizerStep),
        InstanceMethod("evalLoss", &ModelWrap::EvalLoss),
        InstanceMethod("embed", &ModelWrap::Embed),
        InstanceMethod("logits", &ModelWrap::Logits),
        InstanceMethod("pooledForward", &ModelWrap::PooledForward),
        InstanceMethod("pooledBackward", &ModelWrap::PooledBackward),
        InstanceMethod("tensors", &ModelWrap::Tensors),
        InstanceMethod("buffer", &ModelWrap::Buffer),
        InstanceMethod("paddedSize", &ModelWrap::PaddedSize),
        InstanceMethod("numParameters", &ModelWrap::NumParameters),
        InstanceMethod("gradNorm", &ModelWrap::GradNorm),
        InstanceMethod("getStep", &ModelWrap::GetStep),
        InstanceMethod("setStep", &ModelWrap::SetStep),
        InstanceMethod("precision", &ModelWrap::Precision),
        InstanceMethod("setPrecision", &ModelWrap::SetPrecision),
    });
  }
  const std::shared_ptr<Model>& model() const { return model_; }

  // new Model(config, seed): config = {V, maxT, C, L, NH, F, dropout, preLN, gelu, tiedHead, headBias, padId}
  explicit ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject()) throw Napi::TypeError::New(env, "Model(config, seed): config object expected");
    Napi::Object o = info[0].As<Napi::Object>();
    auto num = [&](const char* key) {
      Napi::Value v = o.Get(key);
      if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string("Model config: '") + key + "' must be a number");
      return v.As<Napi::Number>().DoubleValue();
    };
    auto flag = [&](const char* key) { return o.Get(key).ToBoolean().Value(); };
    ModelConfig c;
    c.V = (int)num("V"); c.maxT = (int)num("maxT"); c.C = (int)num("C"); c.L = (int)num("L");
    c.NH = (int)num("NH"); c.F = (int)num("F"); c.dropout = (float)num("dropout"); c.pad_id = (int)num("padId");
    c.pre_ln = flag("preLN"); c.gelu = flag("gelu"); c.tied_head = flag("tiedHead"); c.head_bias = flag("headBias");
    try {
      model_ = std::make_shared<Model>(c, (uint64_t)integer(info, 1, "seed"));
    } catch (const ModelError& e) {
      throw Napi::Error::New(env, e.what());
    }
    // Tell V8 how much memory this small object holds, so that the GC collects dropped models promptly.
    external_bytes_ = (int64_t)(4 * model_->padded_size() * sizeof(float));
    Napi::MemoryManagement::AdjustExternalMemory(env, external_bytes_);
  }
  // The C call, whose status is ignored: a destructor must not throw (e.g. during environment teardown).
  ~ModelWrap() override {
    int64_t total;
    napi_adjust_external_memory(Env(), -external_bytes_, &total);
  }

 private:
  std::shared_ptr<Model> model_;
  Napi::Reference<Napi::ArrayBuffer> buffer_;
  int64_t external_bytes_ = 0;

  template <typename F>
  auto guarded(Napi::Env env, F&& f) -> decltype(f()) {
    try {
      return f();
    } catch (const ModelError& e) {
      throw Napi::Error::New(env, e.what());
    }
  }
  struct Batch { const int32_t* tokens; int B, T; };
  Batch batch(const Napi::CallbackInfo& info) {
    int B = (int)integer(info, 1, "B"), T = (int)integer(info, 2, "T");
    if (B <= 0 || T <= 0) throw Napi::RangeError::New(info.Env(), "B and T must be positive");
    return {i32(info, 0, "tokens", (size_t)B * T), B, T};
  }

  // forwardBackward(tokens, B, T) → mean loss; gradients left in the grad block.
  Napi::Value ForwardBackward(const Napi::CallbackInfo& info) {
    Batch b = batch(info);
    return Napi::Number::New(info.Env(), guarded(info.Env(), [&] { return model_->forward_backward(b.tokens, b.B, b.T); }));
  }

  // optimizerStep(lr, {beta1, beta2, eps, weightDecay, clip, l1}) → {gradNorm, l1Penalty}
  Napi::Value OptimizerStep(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    float lr = (float)number(info, 0, "lr");
    if (info.Length() < 2 || !info[1].IsObject()) throw Napi::TypeError::New(env, "optimizerStep: options object expected");
    Napi::Object o = info[1].As<Napi::Object>();
    auto num = [&](const char* key) {
      Napi::Value v = o.Get(key);
      if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string("optimizerStep: '") + key + "' must be a number");
      return (float)v.As<Napi::Number>().DoubleValue();
    };
    OptimConfig oc;
    oc.beta1 = num("beta1"); oc.beta2 = num("beta2"); oc.eps = num("eps");
    oc.weight_decay = num("weightDecay"); oc.clip = num("clip"); oc.l1 = num("l1");
    StepResult r = model_->optimizer_step(lr, oc);
    Napi::Object out = Napi::Object::New(env);
    out.Set("gradNorm", r.grad_norm);
    out.Set("l1Penalty", r.l1_penalty);
    return out;
  }

  Napi::Value EvalLoss(const Napi::CallbackInfo& info) {
    Batch b = batch(info);
    int64_t count = 0;
    double loss = guarded(info.Env(), [&] { return model_->eval_loss(b.tokens, b.B, b.T, &count); });
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("loss", loss);
    out.Set("count", (double)count);
    return out;
  }

  // embed(tokens, B, T, mask, depth = -1) → Float32Array (B·C); depth in [0, L], -1 = L (model.h)
  Napi::Value Embed(const Napi::CallbackInfo& info) {
    Batch b = batch(info);
    const uint8_t* mask = u8(info, 3, "mask", (size_t)b.B * b.T);
    const int depth = info.Length() > 4 && !info[4].IsUndefined() ? (int)integer(info, 4, "depth") : -1;
    Napi::Float32Array out = Napi::Float32Array::New(info.Env(), (size_t)b.B * model_->config().C);
    guarded(info.Env(), [&] { model_->embed(out.Data(), b.tokens, mask, b.B, b.T, depth); return 0; });
    return out;
  }

  // pooledForward(tokens, B, T, mask) → Float32Array (B·C): embed in training mode, kept for pooledBackward.
  Napi::Value PooledForward(const Napi::CallbackInfo& info) {
    Batch b = batch(info);
    const uint8_t* mask = u8(info, 3, "mask", (size_t)b.B * b.T);
    Napi::Float32Array out = Napi::Float32Array::New(info.Env(), (size_t)b.B * model_->config().C);
    guarded(info.Env(), [&] { model_->pooled_forward(out.Data(), b.tokens, mask, b.B, b.T); return 0; });
    return out;
  }

  // pooledBackward(dout: Float32Array (B·C)): gradients of the last pooledForward's vectors into the grad block.
  Napi::Value PooledBackward(const Napi::CallbackInfo& info) {
    const float* dout = f32(info, 0, "dout", (size_t)model_->pooled_rows() * model_->config().C);
    guarded(info.Env(), [&] { model_->pooled_backward(dout); return 0; });
    return info.Env().Undefined();
  }

  // logits(tokens, B, T, rows: Int32Array) → Float32Array (R·V)
  Napi::Value Logits(const Napi::CallbackInfo& info) {
    Batch b = batch(info);
    const int32_t* rows = i32(info, 3, "rows");
    int R = (int)info[3].As<Napi::TypedArray>().ElementLength();
    Napi::Float32Array out = Napi::Float32Array::New(info.Env(), (size_t)R * model_->config().V);
    guarded(info.Env(), [&] { model_->logits(out.Data(), b.tokens, b.B, b.T, rows, R); return 0; });
    return out;
  }

  // tensors() → [{name, shape, offset, size}] (offsets in floats within one layout copy)
  Napi::Value Tensors(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array out = Napi::Array::New(env);
    uint32_t i = 0;
    for (const TensorInfo& t : model_->tensors()) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", t.name);
      Napi::Array shape = Napi::Array::New(env);
      for (uint32_t j = 0; j < t.shape.size(); j++) shape.Set(j, (double)t.shape[j]);
      o.Set("shape", shape);
      o.Set("offset", (double)t.offset);
      o.Set("size", (double)t.size);
      out.Set(i++, o);
    }
    return out;
  }

  // buffer() → the ArrayBuffer over [params | grads | m | v] (4 · paddedSize floats), created once.
  Napi::Value Buffer(const Napi::CallbackInfo& info) {
    if (buffer_.IsEmpty()) {
      auto* keep = new std::shared_ptr<Model>(model_);
      Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(
          info.Env(), model_->block(), 4 * model_->padded_size() * sizeof(float),
          [](Napi::Env, void*, std::shared_ptr<Model>* hint) { delete hint; }, keep);
      buffer_ = Napi::Persistent(ab);
    }
    return buffer_.Value();
  }

  Napi::Value PaddedSize(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), (double)model_->padded_size()); }
  Napi::Value NumParameters(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), (double)model_->num_parameters()); }
  Napi::Value GradNorm(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), model_->grad_norm()); }
  Napi::Value GetStep(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), model_->step()); }
  // precision() → 'bf16' | 'fp32': the matmuls' precision (model.h, "bf16 mixed precision").
  Napi::Value Precision(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), model_->bf16() ? "bf16" : "fp32");
  }
  Napi::Value SetPrecision(const Napi::CallbackInfo& info) {
    std::string p = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
    if (p != "bf16" && p != "fp32") throw Napi::TypeError::New(info.Env(), "setPrecision: 'bf16' or 'fp32' expected");
    model_->set_bf16(p == "bf16");
    return info.Env().Undefined();
  }
  Napi::Value SetStep(const Napi::CallbackInfo& info) {
    model_->set_step((int)integer(info, 0, "step"));
    return info.Env().Undefined();
  }
};

// The class object, kept per environment (main thread, each worker) to recognise Model instances in model_of().
void RegisterModel(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = ModelWrap::Define(env);
  env.SetInstanceData(new Napi::FunctionReference(Napi::Persistent(cls)));
  exports.Set("Model", cls);
}

std::shared_ptr<Model> model_of(const Napi::Value& value, const char* what) {
  auto* cls = value.Env().GetInstanceData<Napi::FunctionReference>();
  if (!cls || !value.IsObject() || !value.As<Napi::Object>().InstanceOf(cls->Value()))
    throw Napi::TypeError::New(value.Env(), std::string(what) + ": expected a native Model");
  return ModelWrap::Unwrap(value.As<Napi::Object>())->model();
}

}  // namespace motif
