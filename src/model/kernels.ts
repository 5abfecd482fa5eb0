// Typed access to the native layer kernels of the active ISA (native/src/binding_kernels.cc), for tests,
// benchmarks and anything that composes layers by hand. Shapes and conventions are those of
// native/src/ops.h: row-major float32, backward functions ACCUMULATE into their gradients, a null
// gradient is skipped. Not the model: the transformer calls these kernels from C++, not through here.
import { native } from './native.js';

type F32 = Float32Array;

/** The native kernel functions; argument order follows native/src/ops.h. */
export interface NativeKernels {
  /** y (N, OC) = x (N, IC) · Wᵀ + b;  W (OC, IC), b (OC) or null. */
  linearForward(y: F32, x: F32, W: F32, b: F32 | null, N: number, IC: number, OC: number): void;
  /** dx += dy · W;  dW += dyᵀ · x;  db += Σ_rows dy. */
  linearBackward(
    dx: F32 | null,
    dW: F32 | null,
    db: F32 | null,
    dy: F32,
    x: F32,
    W: F32,
    N: number,
    IC: number,
    OC: number,
  ): void;
  /** out (B, T, C) = wte[tokens] + wpe[t];  ids are checked against wte's rows. */
  embeddingForward(out: F32, tokens: Int32Array, wte: F32, wpe: F32, B: number, T: number, C: number): void;
  /** dwte[tokens] += dout;  dwpe[t] += dout. */
  embeddingBackward(
    dwte: F32 | null,
    dwpe: F32 | null,
    dout: F32,
    tokens: Int32Array,
    B: number,
    T: number,
    C: number,
  ): void;
  /** LayerNorm over C; writes mean and rstd (N) for the backward. */
  layernormForward(out: F32, mean: F32, rstd: F32, x: F32, w: F32, b: F32, N: number, C: number): void;
  /** dx, dw, db += gradients of layernormForward. */
  layernormBackward(
    dx: F32 | null,
    dw: F32 | null,
    db: F32 | null,
    dout: F32,
    x: F32,
    w: F32,
    mean: F32,
    rstd: F32,
    N: number,
    C: number,
  ): void;
  /** out = max(x, 0); the length is out's. */
  reluForward(out: F32, x: F32): void;
  /** dx += dout where x > 0. */
  reluBackward(dx: F32, dout: F32, x: F32): void;
  /** out = x·Φ(x) (exact erf GELU). */
  geluForward(out: F32, x: F32): void;
  /** dx += dout · GELU'(x). */
  geluBackward(dx: F32, dout: F32, x: F32): void;
  /** out = act(x) rounded to bf16 bits (act: 0 none, 1 ReLU, 2 GELU); the length is out's. */
  activationForwardBf16(out: Uint16Array, x: F32, act: 0 | 1 | 2): void;
  /** dxb (N, F) = dout · act'(x) (act 0: dout) rounded to bf16 bits; db (F), unless null, += its column sums in fp32. */
  activationBackwardBf16(
    dxb: Uint16Array,
    db: F32 | null,
    dout: F32,
    x: F32,
    N: number,
    F: number,
    act: 0 | 1 | 2,
  ): void;
  /** Inverted dropout of x into out (may be the same array); mask from hash(seed, i). */
  dropoutForward(out: F32, x: F32, p: number, seed: number): void;
  /** dx += dout under the mask of dropoutForward with the same seed. */
  dropoutBackward(dx: F32, dout: F32, p: number, seed: number): void;
  /** Causal attention: qkv (B, T, 3C) → out (B, T, C), lse (B, NH, T). */
  attentionForward(
    out: F32,
    lse: F32,
    qkv: F32,
    B: number,
    T: number,
    C: number,
    NH: number,
    p: number,
    seed: number,
  ): void;
  /** dqkv (B, T, 3C) += gradient, from the forward's out and lse. */
  attentionBackward(
    dqkv: F32,
    dout: F32,
    qkv: F32,
    out: F32,
    lse: F32,
    B: number,
    T: number,
    C: number,
    NH: number,
    p: number,
    seed: number,
  ): void;
  /** attentionForward on the active bf16 path (native.setBf16Path): q, k, v, dO, P and dS rounded to bf16, softmax
   *  and sums in fp32. */
  attentionForwardBf16: NativeKernels['attentionForward'];
  /** attentionBackward likewise. */
  attentionBackwardBf16: NativeKernels['attentionBackward'];
  /** Summed loss; logits (N, V) become d(loss)/d(logits) · gradScale in place. */
  crossentropyForwardBackward(
    logits: F32,
    losses: F32 | null,
    targets: Int32Array,
    N: number,
    V: number,
    ignoreIndex: number,
    gradScale: number,
  ): number;
  /** Summed loss; logits untouched. */
  crossentropyForward(
    losses: F32 | null,
    logits: F32,
    targets: Int32Array,
    N: number,
    V: number,
    ignoreIndex: number,
  ): number;
  /** out (B, C) = masked mean of h (B, T, C) over t. */
  meanpoolForward(out: F32, h: F32, mask: Uint8Array, B: number, T: number, C: number): void;
  /** dh += gradient of meanpoolForward. */
  meanpoolBackward(dh: F32, dout: F32, mask: Uint8Array, B: number, T: number, C: number): void;
  /** Σ x² in double precision. */
  sumSquares(x: F32): number;
  /** Σ |x| in double precision. */
  sumAbs(x: F32): number;
  /** g += l1 · sign(w). */
  l1Grad(g: F32, w: F32, l1: number): void;
  /** x *= s. */
  scale(x: F32, s: number): void;
  /** dst = src rounded to bf16 (nearest, ties to even; NaN stays NaN; denormals kept), as raw bits; the length is dst's. */
  f32ToBf16(dst: Uint16Array, src: F32): void;
  /** dst = src (raw bf16 bits) widened exactly to float32; the length is dst's. */
  bf16ToF32(dst: F32, src: Uint16Array): void;
  /** One AdamW step t (1-based) of w, m, v in place. */
  adamwUpdate(
    w: F32,
    g: F32,
    m: F32,
    v: F32,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    t: number,
  ): void;
}

/** The native kernels of the active ISA (switch with native.setIsa). */
export const kernels = native as unknown as NativeKernels;
