// The trainer's view of the native Transformer: a TrainableModel that saves into a checkpoint folder as
// model.safetensors (weights, and AdamW moments and step when asked). Only adapts names and units.
import { join } from 'node:path';
import type { ModelConfig, TrainConfig } from '../model/config.js';
import type { Precision } from '../model/precision.js';
import { Transformer } from '../model/transformer.js';
import { MODEL_FILE } from '../run/layout.js';
import type { ModelSource, TrainableModel } from './trainer.js';

/** A Transformer behind the trainer's interface. */
export class TransformerModel implements TrainableModel {
  constructor(readonly transformer: Transformer) {}

  trainStep(tokens: Int32Array, B: number, T: number, lr: number): { loss: number; gradNorm: number } {
    return this.transformer.trainStep(tokens, B, T, lr);
  }

  evalLoss(tokens: Int32Array, B: number, T: number): { lossSum: number; count: number } {
    const { loss, count } = this.transformer.evalLoss(tokens, B, T);
    // A batch of padding has no targets; its mean is 0/0.
    return { lossSum: count > 0 ? loss * count : 0, count };
  }

  save(dir: string, withOptimizer: boolean): void {
    this.transformer.save(join(dir, MODEL_FILE), { optimizer: withOptimizer });
  }
}

/** Loads the model of a checkpoint or snapshot folder, computing in `precision`. */
export function loadTransformer(dir: string, precision: Precision = 'fp32'): TransformerModel {
  return new TransformerModel(withPrecision(Transformer.load(join(dir, MODEL_FILE)), precision));
}

/** Fresh or restored Transformers with the given architecture, seed, optimizer settings and precision. */
export function transformerSource(
  config: ModelConfig,
  seed: number,
  optim: TrainConfig,
  precision: Precision = 'fp32',
): ModelSource<TransformerModel> {
  return {
    create: () => new TransformerModel(withPrecision(Transformer.create(config, seed, optim), precision)),
    load: (dir) => loadTransformer(dir, precision),
  };
}

function withPrecision(model: Transformer, precision: Precision): Transformer {
  model.precision = precision;
  return model;
}
