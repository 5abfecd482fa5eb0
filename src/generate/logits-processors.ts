// Logits processors: small functions that reshape one stream's next-token logits in place before
// sampling, composed in a list (as transformers.js and Hugging Face generate do). A refused id gets
// -Infinity. Not a sampler (sampler.ts) and not aware of music (event-state.ts masks invalid ids).

/** Rewrites one row of V logits in place. */
export type LogitsProcessor = (logits: Float32Array) => void;

/** Divides logits by t (> 0): below 1 sharpens, above 1 flattens. */
export function temperature(t: number): LogitsProcessor {
  if (!(t > 0) || !Number.isFinite(t)) throw new RangeError(`temperature must be a positive number, got ${t}`);
  return (logits) => {
    if (t === 1) return;
    for (let i = 0; i < logits.length; i++) logits[i] /= t;
  };
}

/** Keeps the k largest logits (ties at the k-th value kept too); 0 keeps all. */
export function topK(k: number): LogitsProcessor {
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`top-k must be a non-negative integer, got ${k}`);
  return (logits) => {
    if (k === 0 || k >= logits.length) return;
    const threshold = Float32Array.from(logits).sort()[logits.length - k];
    for (let i = 0; i < logits.length; i++) if (logits[i] < threshold) logits[i] = -Infinity;
  };
}

/** Softmax probabilities of a row (refused ids get 0). */
export function softmax(logits: Float32Array): Float64Array {
  let max = -Infinity;
  for (const x of logits) if (x > max) max = x;
  const p = new Float64Array(logits.length);
  if (max === -Infinity) return p;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += p[i] = Math.exp(logits[i] - max);
  for (let i = 0; i < p.length; i++) p[i] /= sum;
  return p;
}

/** Nucleus sampling: keeps the most probable ids whose cumulative probability first reaches p (1 keeps all). */
export function topP(p: number): LogitsProcessor {
  if (!(p > 0 && p <= 1)) throw new RangeError(`top-p must be in (0, 1], got ${p}`);
  return (logits) => {
    if (p === 1) return;
    const prob = softmax(logits);
    const order = Array.from(prob.keys()).sort((a, b) => prob[b] - prob[a]);
    let cum = 0;
    let kept = 0;
    while (kept < order.length && cum < p) cum += prob[order[kept++]];
    for (let r = kept; r < order.length; r++) logits[order[r]] = -Infinity;
  };
}

/** Min-p: keeps ids whose probability is at least p times the largest (0 keeps all). */
export function minP(p: number): LogitsProcessor {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`min-p must be in [0, 1], got ${p}`);
  return (logits) => {
    if (p === 0) return;
    let max = -Infinity;
    for (const x of logits) if (x > max) max = x;
    const cut = max + Math.log(p); // prob_i ≥ p·prob_max  ⇔  logit_i ≥ logit_max + ln p
    for (let i = 0; i < logits.length; i++) if (logits[i] < cut) logits[i] = -Infinity;
  };
}

/** Applies processors in order. */
export function applyProcessors(logits: Float32Array, processors: readonly LogitsProcessor[]): void {
  for (const f of processors) f(logits);
}
