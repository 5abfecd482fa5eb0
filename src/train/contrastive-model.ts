// The contrastive stage's model: the language model's transformer (native) with the embedding head on its
// pooled output (TypeScript), trained together by symmetric InfoNCE on slice pairs. One step: pooled forward
// of both views → head → InfoNCE → head backward → pooled backward; one clip norm over both parts'
// gradients (as torch.nn.utils.clip_grad_norm_ over all parameters), then AdamW on each part.
// Saved as a checkpoint folder: model.safetensors (the transformer) + embedding-head.safetensors.
import { join } from 'node:path';
import { EmbeddingHead, type HeadOptim } from '../model/embedding-head.js';
import { readSafetensors, writeSafetensors } from '../model/safetensors.js';
import type { Precision } from '../model/precision.js';
import { Transformer } from '../model/transformer.js';
import { infoNce, type GroupTargets } from './info-nce.js';
import { HEAD_FILE, MODEL_FILE } from '../run/layout.js';
import type { SliceBatch } from './slice-pairs.js';
import { SlicePairs, type PairSampling, type SlicePiece } from './slice-pairs.js';
import type { Framing } from './batches.js';

/** Settings of the objective. */
export interface ContrastiveSettings {
  /** InfoNCE temperature τ. */
  temperature: number;
  /** Global gradient-norm clip over transformer and head (≤ 0: off). */
  clipNorm: number;
  /** Share of each view's target spread over the batch's pairs of its composer (info-nce.ts); absent: 0. */
  composerWeight?: number;
}

/** What one step did. */
export interface ContrastiveStep {
  loss: number;
  gradNorm: number;
  /** Share of views whose nearest view on the other side was their own pair. */
  top1: number;
}

export class ContrastiveModel {
  constructor(
    readonly transformer: Transformer,
    readonly head: EmbeddingHead,
    readonly settings: ContrastiveSettings,
  ) {
    if (head.C !== transformer.config.dModel)
      throw new Error(
        `the embedding head reads ${head.C} values but the model's width is ${transformer.config.dModel}`,
      );
  }

  /** One training step on a batch of slice pairs at learning rate `lr`. */
  trainStep(batch: SliceBatch, lr: number): ContrastiveStep {
    const { B, T } = batch;
    const D = this.head.D;
    const pooled = this.transformer.pooledForward(batch.tokens, batch.mask, 2 * B, T);
    const cache = this.head.forward(pooled, 2 * B);
    const r = infoNce(
      cache.z.subarray(0, B * D),
      cache.z.subarray(B * D),
      B,
      D,
      this.settings.temperature,
      this.targets(batch),
    );
    const dz = new Float64Array(2 * B * D);
    dz.set(r.dA, 0);
    dz.set(r.dB, B * D);
    this.head.zeroGrad();
    this.transformer.pooledBackward(Float32Array.from(this.head.backward(cache, dz, 2 * B)));
    const transformerNorm = this.transformer.gradNorm();
    const gradNorm = Math.sqrt(transformerNorm ** 2 + this.head.gradSquares());
    const clip = this.settings.clipNorm;
    const scale = clip > 0 ? Math.min(1, clip / (gradNorm + 1e-6)) : 1;
    // The native step clips by its own norm: the clip that gives the joint scale there is scale·(its norm + 1e-6).
    this.transformer.optimizerStep(lr, scale < 1 ? scale * (transformerNorm + 1e-6) : 0);
    const o = this.transformer.optim;
    const optim: HeadOptim = { beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay };
    this.head.adamw(lr, optim, scale);
    return { loss: r.loss, gradNorm, top1: r.top1 };
  }

  /** Embeddings (B × D, unit length) of windows (B, T), pooled over `mask`, without dropout. */
  embed(tokens: Int32Array, mask: Uint8Array, B: number, T: number): Float32Array {
    return Float32Array.from(this.head.forward(this.transformer.embed(tokens, mask, B, T), B).z);
  }

  /** InfoNCE loss and top-1 of a batch without dropout or gradients (validation). */
  evalBatch(batch: SliceBatch): { loss: number; top1: number } {
    const z = this.embed(batch.tokens, batch.mask, 2 * batch.B, batch.T);
    const D = this.head.D;
    const r = infoNce(
      z.subarray(0, batch.B * D),
      z.subarray(batch.B * D),
      batch.B,
      D,
      this.settings.temperature,
      this.targets(batch),
    );
    return { loss: r.loss, top1: r.top1 };
  }

  private targets(batch: SliceBatch): GroupTargets {
    return { groups: batch.composers, weight: this.settings.composerWeight ?? 0 };
  }

  /** Writes the checkpoint folder `dir` (with both parts' optimizer state when `withOptimizer`). */
  save(dir: string, withOptimizer: boolean): void {
    this.transformer.save(join(dir, MODEL_FILE), { optimizer: withOptimizer });
    writeSafetensors(join(dir, HEAD_FILE), this.head.tensors(withOptimizer), {
      'motif.settings': JSON.stringify(this.settings),
    });
  }

  /** Loads a folder written by {@link save}; the transformer computes in `precision` (the head is TypeScript, float64). */
  static load(dir: string, precision: Precision = 'fp32'): ContrastiveModel {
    const path = join(dir, HEAD_FILE);
    const file = readSafetensors(path);
    let settings: ContrastiveSettings;
    try {
      settings = JSON.parse(file.metadata['motif.settings']) as ContrastiveSettings;
    } catch (err) {
      throw new Error(`${path}: metadata 'motif.settings' is missing or not JSON`, { cause: err });
    }
    const transformer = Transformer.load(join(dir, MODEL_FILE));
    transformer.precision = precision;
    return new ContrastiveModel(transformer, EmbeddingHead.fromTensors(file.tensors, path), settings);
  }
}

/**
 * Validation of the contrastive objective: fixed slice pairs of the validation split (the same every
 * time: drawn once from `seed`), `batches` batches of B pairs; mean InfoNCE loss and top-1.
 */
export function contrastiveValidation(
  pieces: readonly SlicePiece[],
  framing: Framing,
  minTokens: number,
  maxTokens: number,
  B: number,
  batches: number,
  seed: number,
  sampling: PairSampling,
): (model: ContrastiveModel) => { loss: number; top1: number } {
  const sampler = new SlicePairs(pieces, framing, minTokens, maxTokens, seed, sampling);
  const fixed = Array.from({ length: batches }, () => sampler.next(Math.min(B, pieces.length)));
  return (model) => {
    let loss = 0,
      top1 = 0;
    for (const batch of fixed) {
      const r = model.evalBatch(batch);
      loss += r.loss / fixed.length;
      top1 += r.top1 / fixed.length;
    }
    return { loss, top1 };
  };
}
