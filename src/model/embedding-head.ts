// The contrastive embedding head: pooled hidden state (C) → linear → L2-normalised embedding (D), forward
// beside backward, with its own AdamW state. It sits on top of the language model's pooled output, so it
// is small (C·D + D parameters) and lives in TypeScript: float32 storage like the native weights (so a
// checkpoint restores it exactly), float64 arithmetic. The transformer below stays native.
//
//   u = W p + b        (W: D × C, row-major)
//   z = u / ‖u‖
//   du = (dz − z (z · dz)) / ‖u‖,   dW += du pᵀ,   db += du,   dp = Wᵀ du
import type { StoredTensor } from './safetensors.js';

/** What forward keeps for backward. */
export interface HeadCache {
  readonly pooled: Float64Array; // N × C
  readonly z: Float64Array; // N × D
  readonly norm: Float64Array; // N
}

/** AdamW settings of the head's step (the run's optimizer settings). */
export interface HeadOptim {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** Tensor names of the head in a safetensors file; its AdamW moments use the transformer's prefixes. */
export const HEAD_TENSORS = { weight: 'embedding_head.weight', bias: 'embedding_head.bias' } as const;
const MOMENTS = { m: 'optimizer.exp_avg.', v: 'optimizer.exp_avg_sq.' } as const;
const STEP = 'embedding_head.step';

export class EmbeddingHead {
  readonly weight: Float32Array;
  readonly bias: Float32Array;
  readonly gradWeight: Float64Array;
  readonly gradBias: Float64Array;
  /** AdamW moments over [weight, bias], and steps taken. */
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private steps = 0;

  constructor(
    readonly C: number,
    readonly D: number,
    weight?: ArrayLike<number>,
    bias?: ArrayLike<number>,
  ) {
    if (weight && weight.length !== D * C)
      throw new Error(`embedding head: weight has ${weight.length} values, expected ${D} × ${C}`);
    if (bias && bias.length !== D) throw new Error(`embedding head: bias has ${bias.length} values, expected ${D}`);
    this.weight = Float32Array.from(weight ?? new Float32Array(D * C));
    this.bias = Float32Array.from(bias ?? new Float32Array(D));
    this.gradWeight = new Float64Array(D * C);
    this.gradBias = new Float64Array(D);
    this.m = new Float32Array(D * C + D);
    this.v = new Float32Array(D * C + D);
  }

  /** A head initialised as PyTorch's nn.Linear (uniform ±1/√C); `random` gives floats in [0, 1) (a seeded generator). */
  static create(C: number, D: number, random: () => number): EmbeddingHead {
    const bound = 1 / Math.sqrt(C);
    const uniform = (n: number) => Float32Array.from({ length: n }, () => (2 * random() - 1) * bound);
    return new EmbeddingHead(C, D, uniform(D * C), uniform(D));
  }

  /** Embeddings of `pooled` (N × C): N unit vectors of D. */
  forward(pooled: ArrayLike<number>, N: number): HeadCache {
    const { C, D } = this;
    if (pooled.length !== N * C)
      throw new Error(`embedding head: ${pooled.length} pooled values for ${N} rows of ${C}`);
    const p = Float64Array.from(pooled);
    const z = new Float64Array(N * D),
      norm = new Float64Array(N);
    for (let n = 0; n < N; n++) {
      let sq = 0;
      for (let d = 0; d < D; d++) {
        let u = this.bias[d];
        for (let c = 0; c < C; c++) u += this.weight[d * C + c] * p[n * C + c];
        z[n * D + d] = u;
        sq += u * u;
      }
      // A zero vector has no direction; the floor keeps it finite (PyTorch's F.normalize uses 1e-12 too).
      norm[n] = Math.max(Math.sqrt(sq), 1e-12);
      for (let d = 0; d < D; d++) z[n * D + d] /= norm[n];
    }
    return { pooled: p, z, norm };
  }

  /** Accumulates the head's gradients from `dz` (N × D) and returns the gradient at the pooled input (N × C). */
  backward(cache: HeadCache, dz: ArrayLike<number>, N: number): Float64Array {
    const { C, D } = this;
    const dp = new Float64Array(N * C);
    const du = new Float64Array(D);
    for (let n = 0; n < N; n++) {
      let zdz = 0;
      for (let d = 0; d < D; d++) zdz += cache.z[n * D + d] * dz[n * D + d];
      for (let d = 0; d < D; d++) du[d] = (dz[n * D + d] - cache.z[n * D + d] * zdz) / cache.norm[n];
      for (let d = 0; d < D; d++) {
        this.gradBias[d] += du[d];
        for (let c = 0; c < C; c++) {
          this.gradWeight[d * C + c] += du[d] * cache.pooled[n * C + c];
          dp[n * C + c] += this.weight[d * C + c] * du[d];
        }
      }
    }
    return dp;
  }

  zeroGrad(): void {
    this.gradWeight.fill(0);
    this.gradBias.fill(0);
  }

  /** Sum of squared gradients (for a global clip norm shared with the transformer's). */
  gradSquares(): number {
    let s = 0;
    for (const g of this.gradWeight) s += g * g;
    for (const g of this.gradBias) s += g * g;
    return s;
  }

  /** One AdamW step, the native optimizer's update (PyTorch's: decoupled decay on every parameter, bias-corrected moments), after scaling the gradients by `scale` (the clip). */
  adamw(lr: number, o: HeadOptim, scale = 1): void {
    this.steps++;
    const c1 = 1 - o.beta1 ** this.steps,
      c2 = 1 - o.beta2 ** this.steps;
    const update = (param: Float32Array, grad: Float64Array, offset: number) => {
      for (let i = 0; i < param.length; i++) {
        const g = grad[i] * scale;
        const m = (this.m[offset + i] = o.beta1 * this.m[offset + i] + (1 - o.beta1) * g);
        const v = (this.v[offset + i] = o.beta2 * this.v[offset + i] + (1 - o.beta2) * g * g);
        param[i] -= lr * (m / c1 / (Math.sqrt(v / c2) + o.eps) + o.weightDecay * param[i]);
      }
    };
    update(this.weight, this.gradWeight, 0);
    update(this.bias, this.gradBias, this.weight.length);
  }

  /** The head as checkpoint tensors: weights, and with `withOptimizer` its moments and step. */
  tensors(withOptimizer: boolean): Map<string, StoredTensor> {
    const { C, D } = this;
    const out = new Map<string, StoredTensor>([
      [HEAD_TENSORS.weight, { shape: [D, C], data: this.weight }],
      [HEAD_TENSORS.bias, { shape: [D], data: this.bias }],
    ]);
    if (withOptimizer) {
      for (const [prefix, moments] of [
        [MOMENTS.m, this.m],
        [MOMENTS.v, this.v],
      ] as const) {
        out.set(prefix + HEAD_TENSORS.weight, { shape: [D, C], data: moments.subarray(0, D * C) });
        out.set(prefix + HEAD_TENSORS.bias, { shape: [D], data: moments.subarray(D * C) });
      }
      out.set(STEP, { shape: [1], data: Int32Array.of(this.steps) });
    }
    return out;
  }

  /** The head stored by {@link tensors} (its moments too when present); `where` names the file in errors. */
  static fromTensors(tensors: ReadonlyMap<string, StoredTensor>, where: string): EmbeddingHead {
    const w = tensors.get(HEAD_TENSORS.weight),
      b = tensors.get(HEAD_TENSORS.bias);
    if (!w || !b || w.shape.length !== 2)
      throw new Error(`${where}: no embedding head (${HEAD_TENSORS.weight}, ${HEAD_TENSORS.bias})`);
    const [D, C] = w.shape;
    const head = new EmbeddingHead(C, D, w.data, b.data);
    const step = tensors.get(STEP);
    if (step) {
      for (const [prefix, moments] of [
        [MOMENTS.m, head.m],
        [MOMENTS.v, head.v],
      ] as const) {
        moments.set(tensors.get(prefix + HEAD_TENSORS.weight)?.data ?? [], 0);
        moments.set(tensors.get(prefix + HEAD_TENSORS.bias)?.data ?? [], D * C);
      }
      head.steps = step.data[0];
    }
    return head;
  }
}
