// What the GEMM tests (sgemm.test.ts, gemm-bf16.test.ts) share: a seeded generator and the shape of a
// case, C (M, N) = alpha·op(A)·op(B) + beta·C with row strides wider than the rows. Not a reference.

/** Mulberry32: a small seeded generator, so a failure is reproducible. */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A GEMM call's scalars; A, B, C are the test's own arrays. */
export interface GemmShape {
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
  alpha: number;
  beta: number;
  lda: number;
  ldb: number;
  ldc: number;
}

/** The shape of a case whose rows are `pad` elements wider than they need be. */
export function gemmShape(
  M: number,
  N: number,
  K: number,
  transA: boolean,
  transB: boolean,
  alpha: number,
  beta: number,
  pad: number,
): GemmShape {
  return {
    transA,
    transB,
    M,
    N,
    K,
    alpha,
    beta,
    lda: (transA ? M : K) + pad,
    ldb: (transB ? K : N) + pad,
    ldc: N + pad,
  };
}
