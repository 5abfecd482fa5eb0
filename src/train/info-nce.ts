// The contrastive objective: symmetric InfoNCE (as CLIP, and Aria's embedding stage) over a batch of B
// pairs of L2-normalised embeddings. Pair i's two views are a positive; every other view in the batch is
// a negative. Forward beside backward, in float64 (the batch is small: B × B similarities of D-vectors).
//
//   S[i][j] = a_i · b_j / τ
//   loss    = ½ · mean_i (logsumexp_j S[i][j] − S[i][i])  +  ½ · mean_j (logsumexp_i S[i][j] − S[j][j])
//   dS      = (softmax over j − I) / 2B  +  (softmax over i − I) / 2B
//   da_i    = Σ_j dS[i][j] b_j / τ,   db_j = Σ_i dS[i][j] a_i / τ

/** Loss, gradients with respect to both views (B × D, row-major), and how often each view finds its pair first. */
export interface InfoNceResult {
  loss: number;
  dA: Float64Array;
  dB: Float64Array;
  /** Share of rows (views of A, then of B) whose most similar view on the other side is its own pair. */
  top1: number;
}

/** Symmetric InfoNCE of views `a` and `b` (B × D each) at temperature `tau`. */
export function infoNce(a: ArrayLike<number>, b: ArrayLike<number>, B: number, D: number, tau: number): InfoNceResult {
  if (a.length !== B * D || b.length !== B * D)
    throw new Error(`infoNce: views of ${a.length} and ${b.length} values for ${B} pairs of ${D}`);
  if (!(tau > 0)) throw new Error(`infoNce: temperature must be positive, got ${tau}`);
  const S = new Float64Array(B * B);
  for (let i = 0; i < B; i++)
    for (let j = 0; j < B; j++) {
      let dot = 0;
      for (let d = 0; d < D; d++) dot += a[i * D + d] * b[j * D + d];
      S[i * B + j] = dot / tau;
    }
  // Row softmax (A → B) and column softmax (B → A), each stabilised by its maximum.
  const rowP = new Float64Array(B * B),
    colP = new Float64Array(B * B);
  let loss = 0,
    hits = 0;
  for (let i = 0; i < B; i++) {
    const { lse, argmax } = logSumExp((j) => S[i * B + j], B);
    for (let j = 0; j < B; j++) rowP[i * B + j] = Math.exp(S[i * B + j] - lse);
    loss += (lse - S[i * B + i]) / (2 * B);
    if (argmax === i) hits++;
  }
  for (let j = 0; j < B; j++) {
    const { lse, argmax } = logSumExp((i) => S[i * B + j], B);
    for (let i = 0; i < B; i++) colP[i * B + j] = Math.exp(S[i * B + j] - lse);
    loss += (lse - S[j * B + j]) / (2 * B);
    if (argmax === j) hits++;
  }
  const dA = new Float64Array(B * D),
    dB = new Float64Array(B * D);
  for (let i = 0; i < B; i++)
    for (let j = 0; j < B; j++) {
      const g = (rowP[i * B + j] + colP[i * B + j] - (i === j ? 2 : 0)) / (2 * B * tau);
      if (g === 0) continue;
      for (let d = 0; d < D; d++) {
        dA[i * D + d] += g * b[j * D + d];
        dB[j * D + d] += g * a[i * D + d];
      }
    }
  return { loss, dA, dB, top1: hits / (2 * B) };
}

function logSumExp(at: (k: number) => number, n: number): { lse: number; argmax: number } {
  let argmax = 0;
  for (let k = 1; k < n; k++) if (at(k) > at(argmax)) argmax = k;
  const max = at(argmax);
  let sum = 0;
  for (let k = 0; k < n; k++) sum += Math.exp(at(k) - max);
  return { lse: max + Math.log(sum), argmax };
}
