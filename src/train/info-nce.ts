// The contrastive objective: symmetric InfoNCE (as CLIP, and Aria's embedding stage) over a batch of B
// pairs of L2-normalised embeddings. Pair i's two views are a positive; every other view in the batch is
// a negative. Forward beside backward, in float64 (the batch is small: B × B similarities of D-vectors).
//
//   S[i][j] = a_i · b_j / τ
//   loss    = ½ · mean_i (logsumexp_j S[i][j] − Σ_j Y[i][j] S[i][j])  +  ½ · mean_j (logsumexp_i S[i][j] − Σ_i Y[i][j] S[i][j])
//   dS      = (softmax over j − Y) / 2B  +  (softmax over i − Y) / 2B
//   da_i    = Σ_j dS[i][j] b_j / τ,   db_j = Σ_i dS[i][j] a_i / τ
//
// Y is the target: the identity (each view's own pair) in plain InfoNCE. With groups (e.g. the composer of
// each pair) and a weight α, a share α of each row's target is spread evenly over the pairs of its group
// (supervised contrastive learning, Khosla et al. 2020, as soft targets):
//   Y[i][j] = (1 − α)·[i = j] + α·[g_i = g_j] / n(g_i),   rows with no group (g_i < 0) keep [i = j].
// Y is symmetric (pairs of one group share n), so its columns are the column softmax's targets too.

/** Loss, gradients with respect to both views (B × D, row-major), and how often each view finds its pair first. */
export interface InfoNceResult {
  loss: number;
  dA: Float64Array;
  dB: Float64Array;
  /** Share of rows (views of A, then of B) whose most similar view on the other side is its own pair. */
  top1: number;
}

/** Soft targets: the group of each pair (negative: none) and the share of a row's target its group gets. */
export interface GroupTargets {
  readonly groups: ArrayLike<number>;
  readonly weight: number;
}

/** Symmetric InfoNCE of views `a` and `b` (B × D each) at temperature `tau` (targets: own pairs, or `soft`). */
export function infoNce(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  B: number,
  D: number,
  tau: number,
  soft?: GroupTargets,
): InfoNceResult {
  if (a.length !== B * D || b.length !== B * D)
    throw new Error(`infoNce: views of ${a.length} and ${b.length} values for ${B} pairs of ${D}`);
  if (!(tau > 0)) throw new Error(`infoNce: temperature must be positive, got ${tau}`);
  const Y = targets(B, soft);
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
    loss += (lse - targetDot(Y, S, (j) => i * B + j, B)) / (2 * B);
    if (argmax === i) hits++;
  }
  for (let j = 0; j < B; j++) {
    const { lse, argmax } = logSumExp((i) => S[i * B + j], B);
    for (let i = 0; i < B; i++) colP[i * B + j] = Math.exp(S[i * B + j] - lse);
    loss += (lse - targetDot(Y, S, (i) => i * B + j, B)) / (2 * B);
    if (argmax === j) hits++;
  }
  const dA = new Float64Array(B * D),
    dB = new Float64Array(B * D);
  for (let i = 0; i < B; i++)
    for (let j = 0; j < B; j++) {
      const g = (rowP[i * B + j] + colP[i * B + j] - 2 * Y[i * B + j]) / (2 * B * tau);
      if (g === 0) continue;
      for (let d = 0; d < D; d++) {
        dA[i * D + d] += g * b[j * D + d];
        dB[j * D + d] += g * a[i * D + d];
      }
    }
  return { loss, dA, dB, top1: hits / (2 * B) };
}

/** The B × B target matrix Y (see the top of the file). */
function targets(B: number, soft: GroupTargets | undefined): Float64Array {
  const Y = new Float64Array(B * B);
  for (let i = 0; i < B; i++) Y[i * B + i] = 1;
  if (!soft || soft.weight === 0) return Y;
  const { groups, weight } = soft;
  if (groups.length !== B) throw new Error(`infoNce: ${groups.length} groups for ${B} pairs`);
  if (!(weight >= 0 && weight <= 1)) throw new Error(`infoNce: the group weight must be in [0, 1], got ${weight}`);
  for (let i = 0; i < B; i++) {
    if (groups[i] < 0) continue;
    let n = 0;
    for (let j = 0; j < B; j++) if (groups[j] === groups[i]) n++;
    for (let j = 0; j < B; j++) Y[i * B + j] = (i === j ? 1 - weight : 0) + (groups[j] === groups[i] ? weight / n : 0);
  }
  return Y;
}

/** Σ_k Y·S along one row or column of the B × B matrices, its k-th entry at index `at(k)`. */
function targetDot(Y: Float64Array, S: Float64Array, at: (k: number) => number, B: number): number {
  let sum = 0;
  for (let k = 0; k < B; k++) sum += Y[at(k)] * S[at(k)];
  return sum;
}

function logSumExp(at: (k: number) => number, n: number): { lse: number; argmax: number } {
  let argmax = 0;
  for (let k = 1; k < n; k++) if (at(k) > at(argmax)) argmax = k;
  const max = at(argmax);
  let sum = 0;
  for (let k = 0; k < n; k++) sum += Math.exp(at(k) - max);
  return { lse: max + Math.log(sum), argmax };
}
