// The one-cycle learning-rate schedule with PyTorch's OneCycleLR semantics (two phases, cosine
// annealing, learning rate only: momentum cycling is not applied, betas stay fixed).

/** Parameters of the schedule, named as PyTorch's OneCycleLR arguments. */
export interface OneCycleOptions {
  maxLr: number;
  totalSteps: number;
  /** Fraction of steps spent warming up (default 0.3). */
  pctStart?: number;
  /** Initial lr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** Final lr = initial lr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
}

function cosineAnneal(start: number, end: number, pct: number): number {
  return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
}

/** Learning rate at 0-based `step` (the value OneCycleLR gives the optimizer for its step+1-th update). */
export function oneCycleLr(step: number, o: OneCycleOptions): number {
  const pctStart = o.pctStart ?? 0.3,
    div = o.divFactor ?? 25,
    finalDiv = o.finalDivFactor ?? 1e4;
  if (!(o.totalSteps > 0)) throw new Error(`one-cycle: totalSteps must be positive, got ${o.totalSteps}`);
  if (step < 0 || step >= o.totalSteps) throw new Error(`one-cycle: step ${step} outside [0, ${o.totalSteps})`);
  const initial = o.maxLr / div,
    min = initial / finalDiv;
  // Phase ends as PyTorch computes them: warm-up ends at pctStart·total − 1, annealing at total − 1.
  const warmEnd = pctStart * o.totalSteps - 1,
    end = o.totalSteps - 1;
  // A warm-up shorter than one step (warmEnd ≤ 0) has already reached maxLr at step 0.
  if (step <= warmEnd) return cosineAnneal(initial, o.maxLr, warmEnd > 0 ? step / warmEnd : 1);
  return cosineAnneal(o.maxLr, min, (step - warmEnd) / (end - warmEnd));
}
