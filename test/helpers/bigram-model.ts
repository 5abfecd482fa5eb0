// A bigram language model in plain TypeScript for testing the trainer without the native core:
// logits of the next token depend only on the current one; plain SGD; exact JSON save/load.
// Its steps are deterministic, so it exposes any nondeterminism in the trainer itself.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelSource, TrainableModel } from '../../src/train/trainer.js';

/** Bigram model over V ids; `pad` targets are ignored. */
export class BigramModel implements TrainableModel {
  steps = 0;
  constructor(
    readonly V: number,
    readonly pad: number,
    public W = new Float64Array(V * V),
  ) {}

  private pass(
    tokens: Int32Array,
    B: number,
    T: number,
    grad: Float64Array | null,
  ): { lossSum: number; count: number } {
    let lossSum = 0;
    let count = 0;
    const V = this.V;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t + 1 < T; t++) {
        const x = tokens[b * T + t];
        const y = tokens[b * T + t + 1];
        if (y === this.pad) continue;
        const row = this.W.subarray(x * V, x * V + V);
        const max = Math.max(...row);
        let z = 0;
        for (let v = 0; v < V; v++) z += Math.exp(row[v] - max);
        lossSum += -(row[y] - max - Math.log(z));
        count++;
        if (grad) for (let v = 0; v < V; v++) grad[x * V + v] += Math.exp(row[v] - max) / z - (v === y ? 1 : 0);
      }
    }
    return { lossSum, count };
  }

  evalLoss(tokens: Int32Array, B: number, T: number): { lossSum: number; count: number } {
    return this.pass(tokens, B, T, null);
  }

  trainStep(tokens: Int32Array, B: number, T: number, lr: number): { loss: number; gradNorm: number } {
    const g = new Float64Array(this.W.length);
    const { lossSum, count } = this.pass(tokens, B, T, g);
    let sq = 0;
    for (let i = 0; i < g.length; i++) {
      g[i] /= Math.max(count, 1);
      sq += g[i] * g[i];
      this.W[i] -= lr * g[i];
    }
    this.steps++;
    return { loss: lossSum / Math.max(count, 1), gradNorm: Math.sqrt(sq) };
  }

  save(dir: string, withOptimizer: boolean): void {
    writeFileSync(
      join(dir, 'bigram.json'),
      JSON.stringify({ V: this.V, pad: this.pad, W: [...this.W], steps: withOptimizer ? this.steps : undefined }),
    );
  }

  static load(dir: string): BigramModel {
    const j = JSON.parse(readFileSync(join(dir, 'bigram.json'), 'utf8')) as {
      V: number;
      pad: number;
      W: number[];
      steps?: number;
    };
    const m = new BigramModel(j.V, j.pad, Float64Array.from(j.W));
    m.steps = j.steps ?? 0;
    return m;
  }
}

/** A ModelSource of bigram models that counts how it was used. */
export function bigramSource(V: number, pad: number): ModelSource<BigramModel> & { loads: string[] } {
  const loads: string[] = [];
  return { loads, create: () => new BigramModel(V, pad), load: (dir) => (loads.push(dir), BigramModel.load(dir)) };
}
