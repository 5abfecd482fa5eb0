// Draws the next id from processed logits with its own seeded generator, so the same seed gives the
// same ids whatever else runs. Greedy when asked. Not a processor: it never changes the logits.
import { Rng } from '../util/rng.js';
import { softmax } from './logits-processors.js';

/** A seeded categorical sampler over one row of logits. */
export class Sampler {
  private readonly rng: Rng;

  constructor(
    seed: number,
    private readonly greedy = false,
  ) {
    this.rng = new Rng(seed);
  }

  /** An id drawn in proportion to softmax(logits) (the largest when greedy); -1 when every id is refused. */
  sample(logits: Float32Array): number {
    if (this.greedy) {
      let best = -1;
      for (let i = 0; i < logits.length; i++)
        if (logits[i] > -Infinity && (best < 0 || logits[i] > logits[best])) best = i;
      return best;
    }
    const p = softmax(logits);
    let u = this.rng.nextFloat();
    let last = -1;
    for (let i = 0; i < p.length; i++) {
      if (p[i] === 0) continue;
      last = i;
      if ((u -= p[i]) < 0) return i;
    }
    return last; // rounding left u ≥ 0 after the last allowed id
  }
}
