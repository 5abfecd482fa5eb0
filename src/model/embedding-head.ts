// The contrastive embedding head: pooled hidden state (C) → linear → L2-normalised embedding (D), forward
// beside backward, with its own AdamW state. It sits on top of the language model's pooled output, so it
// is small (C·D + D parameters) and lives in TypeScript, in float64; the transformer below stays native.
//
//   u = W p + b        (W: D × C, row-major)
//   z = u / ‖u‖
//   du = (dz − z (z · dz)) / ‖u‖,   dW += du pᵀ,   db += du,   dp = Wᵀ du

/** What forward keeps for backward. */
export interface HeadCache {
  readonly pooled: Float64Array; // N × C
  readonly z: Float64Array; // N × D
  readonly norm: Float64Array; // N
}

/** Tensor names of the head in a safetensors file (beside the language model's). */
export const HEAD_TENSORS = { weight: 'embedding_head.weight', bias: 'embedding_head.bias' } as const;

export class EmbeddingHead {
  readonly weight: Float64Array;
  readonly bias: Float64Array;
  readonly gradWeight: Float64Array;
  readonly gradBias: Float64Array;
  private m: Float64Array;
  private v: Float64Array;
  private steps = 0;

  constructor(
    readonly C: number,
    readonly D: number,
    weight?: ArrayLike<number>,
    bias?: ArrayLike<number>,
  ) {
    if (weight && weight.length !== D * C) throw new Error(`embedding head: weight has ${weight.length} values, expected ${D} × ${C}`);
    if (bias && bias.length !== D) throw new Error(`embedding head: bias has ${bias.length} values, expected ${D}`);
    this.weight = Float64Array.from(weight ?? new Float64Array(D * C));
    this.bias = Float64Array.from(bias ?? new Float64Array(D));
    this.gradWeight = new Float64Array(D * C);
    this.gradBias = new Float64Array(D);
    this.m = new Float64Array(D * C + D);
    this.v = new Float64Array(D * C + D);
  }

  /** A head initialised as PyTorch's nn.Linear (uniform ±1/√C); `random` gives floats in [0, 1) (a seeded generator). */
  static create(C: number, D: number, random: () => number): EmbeddingHead {
    const bound = 1 / Math.sqrt(C);
    const uniform = (n: number) => Float64Array.from({ length: n }, () => (2 * random() - 1) * bound);
    return new EmbeddingHead(C, D, uniform(D * C), uniform(D));
  }

  /** Embeddings of `pooled` (N × C): N unit vectors of D. */
  forward(pooled: ArrayLike<number>, N: number): HeadCache {
    const { C, D } = this;
    if (pooled.length !== N * C) throw new Error(`embedding head: ${pooled.length} pooled values for ${N} rows of ${C}`);
    const p = Float64Array.from(pooled);
    const z = new Float64Array(N * D), norm = new Float64Array(N);
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
  adamw(lr: number, o: { beta1: number; beta2: number; eps: number; weightDecay: number }, scale = 1): void {
    this.steps++;
    const c1 = 1 - o.beta1 ** this.steps, c2 = 1 - o.beta2 ** this.steps;
    const update = (param: Float64Array, grad: Float64Array, offset: number) => {
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
}
