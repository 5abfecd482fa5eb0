// Plain float64 TypeScript versions of every layer kernel of the native core (native/src/ops.h), written
// to be obviously correct: straight loops over the textbook formulas, full softmax rows, no tiling. Tests
// compare the native kernels against them and check their gradients by finite differences. Not fast,
// and not used by training. Unlike the native backward kernels these return fresh gradients (no +=).
// The dropout hash mirrors native/src/kernels/common.h bit for bit.

type Vec = ArrayLike<number>;

// ---- dropout hash (common.h) ------------------------------------------------------------------

const TWO32 = 4294967296;
const GOLDEN = 0x9e3779b9;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Index at or above which a hash keeps its element: round(p·2³²) of the float32 p, as the native core. */
export function dropoutThreshold(p: number): number {
  const pf = Math.fround(p);
  if (!(pf > 0)) return 0;
  if (pf >= 1) return TWO32 - 1;
  return Math.min(TWO32 - 1, Math.floor(pf * TWO32 + 0.5));
}

/** The dropout multiplier of element `index` (an integer < 2⁵³) under `seed`: 1/(1-p) if kept, else 0. */
export function dropoutMultiplier(seed: number, index: number, p: number): number {
  if (!(p > 0)) return 1;
  const hi = Math.floor(index / TWO32);
  const key = fmix32((seed >>> 0) ^ fmix32((Math.floor(seed / TWO32) + Math.imul(GOLDEN, hi + 1)) >>> 0));
  const kept = fmix32(Math.imul(index >>> 0, GOLDEN) ^ key) >= dropoutThreshold(p);
  return kept ? (p < 1 ? 1 / (1 - p) : 0) : 0;
}

// ---- bf16 conversion (native/src/kernels/bf16.cc) ----------------------------------------------
// By value, not by the native core's bit trick: the two bf16 neighbours of x and the nearer one, so
// the test compares two different derivations of round-to-nearest-even.

const scratch = new DataView(new ArrayBuffer(4));

/** The raw bits of float32 x rounded to bf16: nearest, ties to even; past the largest finite bf16 by
 *  half an ulp or more → ±Inf; NaN → quiet NaN (bit 6 set) with x's sign and top payload. */
export function f32ToBf16(x: number): number {
  scratch.setFloat32(0, x);
  const bits = scratch.getUint32(0);
  const truncated = bits >>> 16; // same sign, magnitude ≤ |x|
  if (Number.isNaN(x)) return truncated | 0x40;
  const mag = Math.abs(Math.fround(x));
  const lower = Math.abs(bf16ToF32(truncated));
  if (mag === lower) return truncated;
  const exponent = (truncated >>> 7) & 0xff;
  const ulp = 2 ** (Math.max(exponent, 1) - 127 - 7); // denormals share the smallest exponent's ulp
  const below = mag - lower;
  const above = lower + ulp - mag;
  // truncated + 1 is the next magnitude up, carrying into the exponent (0x7f7f + 1 is Inf) as it should.
  if (below < above || (below === above && (truncated & 1) === 0)) return truncated;
  return truncated + 1;
}

/** The float32 value of raw bf16 bits. */
export function bf16ToF32(bits: number): number {
  scratch.setUint32(0, (bits & 0xffff) << 16);
  return scratch.getFloat32(0);
}

// ---- linear ------------------------------------------------------------------------------------

/** y (N, OC) = x (N, IC) · Wᵀ + b, W (OC, IC). */
export function linearForward(x: Vec, W: Vec, b: Vec | null, N: number, IC: number, OC: number): Float64Array {
  const y = new Float64Array(N * OC);
  for (let r = 0; r < N; r++)
    for (let o = 0; o < OC; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < IC; i++) s += x[r * IC + i] * W[o * IC + i];
      y[r * OC + o] = s;
    }
  return y;
}

/** Gradients of linearForward: dx = dy·W, dW = dyᵀ·x, db = Σ_rows dy. */
export function linearBackward(dy: Vec, x: Vec, W: Vec, N: number, IC: number, OC: number) {
  const dx = new Float64Array(N * IC);
  const dW = new Float64Array(OC * IC);
  const db = new Float64Array(OC);
  for (let r = 0; r < N; r++)
    for (let o = 0; o < OC; o++) {
      const g = dy[r * OC + o];
      db[o] += g;
      for (let i = 0; i < IC; i++) {
        dx[r * IC + i] += g * W[o * IC + i];
        dW[o * IC + i] += g * x[r * IC + i];
      }
    }
  return { dx, dW, db };
}

// ---- embedding ---------------------------------------------------------------------------------

/** out (B, T, C) = wte[tokens[b, t]] + wpe[t]. */
export function embeddingForward(tokens: Vec, wte: Vec, wpe: Vec, B: number, T: number, C: number): Float64Array {
  const out = new Float64Array(B * T * C);
  for (let r = 0; r < B * T; r++)
    for (let c = 0; c < C; c++) out[r * C + c] = wte[tokens[r] * C + c] + wpe[(r % T) * C + c];
  return out;
}

/** Gradients of embeddingForward for a table of V tokens and maxT positions. */
export function embeddingBackward(dout: Vec, tokens: Vec, B: number, T: number, C: number, V: number, maxT: number) {
  const dwte = new Float64Array(V * C);
  const dwpe = new Float64Array(maxT * C);
  for (let r = 0; r < B * T; r++)
    for (let c = 0; c < C; c++) {
      dwte[tokens[r] * C + c] += dout[r * C + c];
      dwpe[(r % T) * C + c] += dout[r * C + c];
    }
  return { dwte, dwpe };
}

// ---- layernorm ---------------------------------------------------------------------------------

const LN_EPS = 1e-5;

/** LayerNorm over C (biased variance, eps 1e-5): out, and the per-row mean and 1/std. */
export function layernormForward(x: Vec, w: Vec, b: Vec, N: number, C: number) {
  const out = new Float64Array(N * C);
  const mean = new Float64Array(N);
  const rstd = new Float64Array(N);
  for (let r = 0; r < N; r++) {
    let m = 0;
    for (let c = 0; c < C; c++) m += x[r * C + c];
    m /= C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (x[r * C + c] - m) ** 2;
    const s = 1 / Math.sqrt(v / C + LN_EPS);
    for (let c = 0; c < C; c++) out[r * C + c] = (x[r * C + c] - m) * s * w[c] + b[c];
    mean[r] = m;
    rstd[r] = s;
  }
  return { out, mean, rstd };
}

/** Gradients of layernormForward (statistics recomputed from x). */
export function layernormBackward(dout: Vec, x: Vec, w: Vec, N: number, C: number) {
  const { mean, rstd } = layernormForward(x, w, new Float64Array(C), N, C);
  const dx = new Float64Array(N * C);
  const dw = new Float64Array(C);
  const db = new Float64Array(C);
  for (let r = 0; r < N; r++) {
    const xhat = (c: number) => (x[r * C + c] - mean[r]) * rstd[r];
    let a = 0;
    let bb = 0;
    for (let c = 0; c < C; c++) {
      const g = dout[r * C + c];
      dw[c] += g * xhat(c);
      db[c] += g;
      a += g * w[c];
      bb += g * w[c] * xhat(c);
    }
    a /= C;
    bb /= C;
    for (let c = 0; c < C; c++) dx[r * C + c] = (dout[r * C + c] * w[c] - a - xhat(c) * bb) * rstd[r];
  }
  return { dx, dw, db };
}

// ---- activations -------------------------------------------------------------------------------

/** max(x, 0) elementwise. */
export function reluForward(x: Vec): Float64Array {
  return Float64Array.from(x, (v) => (v > 0 ? v : 0));
}

/** dout where x > 0, else 0. */
export function reluBackward(dout: Vec, x: Vec): Float64Array {
  return Float64Array.from(x, (v, i) => (v > 0 ? dout[i] : 0));
}

/** erfc in float64 (~1e-14): Maclaurin series of erf below 3, Lentz continued fraction above. */
export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  if (x < 3) {
    let term = x;
    let sum = x;
    for (let n = 1; Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated from the tail.
  let f = x;
  for (let n = 60; n >= 1; n--) f = x + n / 2 / f;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

const normalCdf = (x: number) => 0.5 * erfc(-x / Math.SQRT2);
const normalPdf = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);

/** Exact GELU: x·Φ(x). */
export function geluForward(x: Vec): Float64Array {
  return Float64Array.from(x, (v) => v * normalCdf(v));
}

/** dout · (Φ(x) + x·φ(x)). */
export function geluBackward(dout: Vec, x: Vec): Float64Array {
  return Float64Array.from(x, (v, i) => dout[i] * (normalCdf(v) + v * normalPdf(v)));
}

// ---- dropout -----------------------------------------------------------------------------------

/** Inverted dropout: element i times dropoutMultiplier(seed, i, p). */
export function dropoutForward(x: Vec, p: number, seed: number): Float64Array {
  return Float64Array.from(x, (v, i) => v * dropoutMultiplier(seed, i, p));
}

/** Backward of dropoutForward: the same mask applied to dout. */
export const dropoutBackward = dropoutForward;

// ---- attention ---------------------------------------------------------------------------------

export interface AttentionShape {
  B: number;
  T: number;
  C: number;
  NH: number;
}

// Softmax probabilities (and log-sum-exp) of causal row i of head (b, h), from the scaled scores.
export function attentionRow(qkv: Vec, { T, C, NH }: AttentionShape, b: number, h: number, i: number) {
  const HS = C / NH;
  const scores = new Float64Array(i + 1);
  for (let j = 0; j <= i; j++) {
    let s = 0;
    for (let d = 0; d < HS; d++) s += qkv[(b * T + i) * 3 * C + h * HS + d] * qkv[(b * T + j) * 3 * C + C + h * HS + d];
    scores[j] = s / Math.sqrt(HS);
  }
  const mx = Math.max(...scores);
  let sum = 0;
  for (let j = 0; j <= i; j++) sum += Math.exp(scores[j] - mx);
  const lse = mx + Math.log(sum);
  return { P: scores.map((s) => Math.exp(s - lse)), lse };
}

// Dropout multiplier of probability (b, h, i, j): the hash index ((b·NH + h)·T + i)·T + j.
export const attentionDrop = (
  { T, NH }: AttentionShape,
  p: number,
  seed: number,
  b: number,
  h: number,
  i: number,
  j: number,
) => dropoutMultiplier(seed, ((b * NH + h) * T + i) * T + j, p);

/** Causal attention over qkv (B, T, 3C): out (B, T, C) and lse (B, NH, T), dropout p on the probabilities. */
export function attentionForward(qkv: Vec, B: number, T: number, C: number, NH: number, p = 0, seed = 0) {
  const shape = { B, T, C, NH };
  const HS = C / NH;
  const out = new Float64Array(B * T * C);
  const lse = new Float64Array(B * NH * T);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < NH; h++)
      for (let i = 0; i < T; i++) {
        const row = attentionRow(qkv, shape, b, h, i);
        lse[(b * NH + h) * T + i] = row.lse;
        for (let j = 0; j <= i; j++) {
          const w = row.P[j] * attentionDrop(shape, p, seed, b, h, i, j);
          for (let d = 0; d < HS; d++)
            out[(b * T + i) * C + h * HS + d] += w * qkv[(b * T + j) * 3 * C + 2 * C + h * HS + d];
        }
      }
  return { out, lse };
}

/** dqkv (B, T, 3C) of attentionForward by the chain rule through each softmax row. */
export function attentionBackward(dout: Vec, qkv: Vec, B: number, T: number, C: number, NH: number, p = 0, seed = 0) {
  const shape = { B, T, C, NH };
  const HS = C / NH;
  const dqkv = new Float64Array(B * T * 3 * C);
  const q = (b: number, i: number, h: number) => (b * T + i) * 3 * C + h * HS;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < NH; h++)
      for (let i = 0; i < T; i++) {
        const { P } = attentionRow(qkv, shape, b, h, i);
        const M = P.map((_, j) => attentionDrop(shape, p, seed, b, h, i, j));
        // dA[j]: gradient w.r.t. the probability P[i, j] (before dropout).
        const dA = P.map((_, j) => {
          let s = 0;
          for (let d = 0; d < HS; d++) s += dout[(b * T + i) * C + h * HS + d] * qkv[q(b, j, h) + 2 * C + d];
          return s * M[j];
        });
        const dot = P.reduce((acc, pj, j) => acc + pj * dA[j], 0);
        for (let j = 0; j <= i; j++) {
          const dScore = (P[j] * (dA[j] - dot)) / Math.sqrt(HS);
          for (let d = 0; d < HS; d++) {
            dqkv[q(b, j, h) + 2 * C + d] += P[j] * M[j] * dout[(b * T + i) * C + h * HS + d];
            dqkv[q(b, i, h) + d] += dScore * qkv[q(b, j, h) + C + d];
            dqkv[q(b, j, h) + C + d] += dScore * qkv[q(b, i, h) + d];
          }
        }
      }
  return dqkv;
}

// ---- cross-entropy -----------------------------------------------------------------------------

/** log Σ_v exp(logits[r, v]), shifted by the row maximum so that it cannot overflow. */
function rowLogSumExp(logits: Vec, r: number, V: number): number {
  let mx = -Infinity;
  for (let v = 0; v < V; v++) mx = Math.max(mx, logits[r * V + v]);
  let sum = 0;
  for (let v = 0; v < V; v++) sum += Math.exp(logits[r * V + v] - mx);
  return mx + Math.log(sum);
}

/** Per-row -log softmax(logits)[target] (0 for ignored rows) and their sum. */
export function crossentropyForward(logits: Vec, targets: Vec, N: number, V: number, ignoreIndex: number) {
  const losses = new Float64Array(N);
  for (let r = 0; r < N; r++) {
    if (targets[r] === ignoreIndex) continue;
    losses[r] = rowLogSumExp(logits, r, V) - logits[r * V + targets[r]];
  }
  return { losses, total: losses.reduce((a, b) => a + b, 0) };
}

/** d(Σ losses)/d(logits) · gradScale: (softmax - onehot) per row, zero for ignored rows. */
export function crossentropyBackward(
  logits: Vec,
  targets: Vec,
  N: number,
  V: number,
  ignoreIndex: number,
  gradScale: number,
) {
  const d = new Float64Array(N * V);
  for (let r = 0; r < N; r++) {
    if (targets[r] === ignoreIndex) continue;
    const lse = rowLogSumExp(logits, r, V);
    for (let v = 0; v < V; v++)
      d[r * V + v] = (Math.exp(logits[r * V + v] - lse) - (v === targets[r] ? 1 : 0)) * gradScale;
  }
  return d;
}

// ---- mean pool ---------------------------------------------------------------------------------

/** out (B, C): mean of h[b, t] over the t with mask[b, t] ≠ 0 (0 when none). */
export function meanpoolForward(h: Vec, mask: Vec, B: number, T: number, C: number): Float64Array {
  const out = new Float64Array(B * C);
  for (let b = 0; b < B; b++) {
    let n = 0;
    for (let t = 0; t < T; t++) if (mask[b * T + t]) n++;
    for (let t = 0; t < T; t++)
      if (mask[b * T + t]) for (let c = 0; c < C; c++) out[b * C + c] += h[(b * T + t) * C + c] / n;
  }
  return out;
}

/** dh (B, T, C) of meanpoolForward. */
export function meanpoolBackward(dout: Vec, mask: Vec, B: number, T: number, C: number): Float64Array {
  const dh = new Float64Array(B * T * C);
  for (let b = 0; b < B; b++) {
    let n = 0;
    for (let t = 0; t < T; t++) if (mask[b * T + t]) n++;
    for (let t = 0; t < T; t++)
      if (mask[b * T + t]) for (let c = 0; c < C; c++) dh[(b * T + t) * C + c] = dout[b * C + c] / n;
  }
  return dh;
}

// ---- optimizer ---------------------------------------------------------------------------------

/** Σ x². */
export function sumSquares(x: Vec): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}

/** Σ |x|. */
export function sumAbs(x: Vec): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.abs(x[i]);
  return s;
}

/** g + l1·sign(w). */
export function l1Grad(g: Vec, w: Vec, l1: number): Float64Array {
  return Float64Array.from(g, (v, i) => v + l1 * Math.sign(w[i]));
}

/** AdamW step t (1-based) with PyTorch's semantics: decoupled decay, bias-corrected moments. */
export function adamwUpdate(
  w: Vec,
  g: Vec,
  m: Vec,
  v: Vec,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  weightDecay: number,
  t: number,
) {
  const n = w.length;
  const W = new Float64Array(n);
  const M = new Float64Array(n);
  const S = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    M[i] = beta1 * m[i] + (1 - beta1) * g[i];
    S[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
    const mhat = M[i] / (1 - beta1 ** t);
    const vhat = S[i] / (1 - beta2 ** t);
    W[i] = w[i] * (1 - lr * weightDecay) - (lr * mhat) / (Math.sqrt(vhat) + eps);
  }
  return { w: W, m: M, v: S };
}
