// Standard normal draws from motif's seeded generator (Box–Muller), for initial layouts and test data.
// Not a distributions library.
import type { Rng } from '../util/rng.js';

/** One N(0, 1) sample; deterministic given the generator's state. */
export function gaussian(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng.nextFloat())) * Math.cos(2 * Math.PI * rng.nextFloat());
}
