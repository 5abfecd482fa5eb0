// The bf16 GEMM (native.gemmBf16) on each of its paths, generic, avx512bf16 and amx, against a float64
// reference computed from the same bf16 inputs: odd shapes around the micro-tile and tile sizes, all
// four transposes, alpha/beta (beta 0 over a C of NaN), padded rows, several threads and depth slices.
// Paths this machine lacks skip with the reason. Speed is bench/gemm-bf16.mjs's business.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { native } from '../../src/model/native.js';
import { kernels } from '../../src/model/kernels.js';
import { expectClose } from '../helpers/close.js';
import { gemmShape, rng, type GemmShape } from './gemm-case.js';
import { BF16_PATHS, whyNot } from './bf16-paths.js';

// Tolerance. The inputs are bf16: 8 significant bits, so every product a·b has at most 16 and is
// exact in fp32 (24 bits), and in the float64 reference. What is left is the fp32 summation: K
// exact terms added in any order (pairs, micro-tiles, AMX tiles, depth slices) are off by at most
// γ(K−1)·Σ|a·b| with γ(n) = n·u/(1 − n·u), u = 2⁻²⁴ (Higham, Accuracy and Stability, §4.2). Scaling
// by alpha, adding beta·C and adding the partial sums of up to S depth slices into C round a few
// more times, so per element: |C − C₆₄| ≤ (K + 8)·2⁻²⁴·(|alpha|·Σ|a·b| + |beta·C₀|) for S ≤ 4.
// A kernel that pairs the wrong depths, drops a tail or rounds a product to bf16 (2⁻⁸) is far out.
const U = 2 ** -24;

interface Case extends GemmShape {
  A: Uint16Array; // bf16 bits
  B: Uint16Array;
  C: Float32Array;
}

/** n uniform values in [-1, 1) rounded to bf16 by the native conversion (tested in bf16.test.ts). */
function bf16Random(n: number, rand: () => number): Uint16Array {
  const out = new Uint16Array(n);
  kernels.f32ToBf16(
    out,
    Float32Array.from({ length: n }, () => rand() * 2 - 1),
  );
  return out;
}

function makeCase(
  M: number,
  N: number,
  K: number,
  transA: boolean,
  transB: boolean,
  alpha: number,
  beta: number,
  seed: number,
  pad = 3,
): Case {
  const rand = rng(seed);
  const shape = gemmShape(M, N, K, transA, transB, alpha, beta, pad);
  const A = bf16Random((transA ? K : M) * shape.lda, rand);
  const B = bf16Random((transB ? N : K) * shape.ldb, rand);
  // beta = 0 must not read C: NaN there would leak into the result if it did.
  const C =
    beta === 0
      ? new Float32Array(M * shape.ldc).fill(NaN)
      : Float32Array.from({ length: M * shape.ldc }, () => rand() * 2 - 1);
  return { ...shape, A, B, C };
}

const widen = (bits: Uint16Array) => {
  const out = new Float32Array(bits.length);
  kernels.bf16ToF32(out, bits);
  return out;
};

/** The float64 product and each element's bound (see the tolerance above), dense (M, N). */
function reference(c: Case): { expected: Float64Array; bound: Float64Array } {
  const A = widen(c.A);
  const B = widen(c.B);
  const expected = new Float64Array(c.M * c.N);
  const bound = new Float64Array(c.M * c.N);
  for (let i = 0; i < c.M; i++)
    for (let j = 0; j < c.N; j++) {
      let s = 0;
      let mag = 0;
      for (let k = 0; k < c.K; k++) {
        const p = (c.transA ? A[k * c.lda + i] : A[i * c.lda + k]) * (c.transB ? B[j * c.ldb + k] : B[k * c.ldb + j]);
        s += p;
        mag += Math.abs(p);
      }
      const c0 = c.beta === 0 ? 0 : c.beta * c.C[i * c.ldc + j];
      expected[i * c.N + j] = c.alpha * s + c0;
      bound[i * c.N + j] = (c.K + 8) * U * (Math.abs(c.alpha) * mag + Math.abs(c0));
    }
  return { expected, bound };
}

/** Runs the active path on a copy of C; the dense (M, N) result and the copy (to check the padding). */
function run(c: Case): { dense: Float32Array; full: Float32Array } {
  const full = c.C.slice();
  native.gemmBf16(c.transA, c.transB, c.M, c.N, c.K, c.alpha, c.A, c.lda, c.B, c.ldb, c.beta, full, c.ldc);
  const dense = new Float32Array(c.M * c.N);
  for (let i = 0; i < c.M; i++) dense.set(full.subarray(i * c.ldc, i * c.ldc + c.N), i * c.N);
  return { dense, full };
}

function check(c: Case, label: string): void {
  const { dense, full } = run(c);
  const { expected, bound } = reference(c);
  expectClose(dense, expected, { rtol: 0, atol: bound, label });
  for (let i = 0; i < c.M; i++)
    for (let j = c.N; j < c.ldc; j++)
      assert.ok(Object.is(full[i * c.ldc + j], c.C[i * c.ldc + j]), `${label}: wrote C[${i}, ${j}] past N`);
}

const initialPath = native.bf16Path();
const initialThreads = native.threads();
after(() => {
  native.setBf16Path(initialPath);
  native.setThreads(initialThreads);
});

const transposes: [boolean, boolean][] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];
// 1, 7, 33, 65, 129, 257: none a multiple of the micro-tiles (8 × 48; AMX 32 × 32 × 32 depths).
const oddShapes: [number, number, number][] = [
  [1, 1, 1],
  [1, 7, 33],
  [7, 1, 129],
  [33, 129, 1],
  [7, 33, 257],
  [65, 33, 7],
  [129, 65, 33],
  [257, 7, 65],
  [33, 257, 129],
  [37, 65, 0],
];

for (const path of BF16_PATHS) {
  describe(`gemmBf16 (${path})`, { skip: whyNot(path) }, () => {
    it('matches the float64 reference on odd shapes, all transposes, alpha/beta, padded rows', () => {
      assert.ok(native.setBf16Path(path));
      let seed = 1;
      for (const [M, N, K] of oddShapes)
        for (const [ta, tb] of transposes)
          for (const [alpha, beta] of [
            [1, 0],
            [0.5, 1],
            [-1.25, -0.5],
          ])
            check(
              makeCase(M, N, K, ta, tb, alpha, beta, seed++),
              `${path} M=${M} N=${N} K=${K} transA=${ta} transB=${tb} alpha=${alpha} beta=${beta}`,
            );
    });

    it('matches the reference on shapes that span threads and depth slices, on 1 and 2 threads', () => {
      assert.ok(native.setBf16Path(path));
      const rand = rng(42);
      for (let trial = 0; trial < 4; trial++) {
        const M = 100 + Math.floor(rand() * 100);
        const N = 100 + Math.floor(rand() * 100);
        const K = 1100 + Math.floor(rand() * 1000); // 2–3 depth slices of every path (768 and 1024 deep)
        const [ta, tb] = transposes[trial];
        const c = makeCase(M, N, K, ta, tb, 0.75, trial % 2 ? 0 : 2, 100 + trial, trial);
        for (const threads of [1, 2]) {
          native.setThreads(threads);
          check(c, `${path} M=${M} N=${N} K=${K} transA=${ta} transB=${tb} on ${threads} threads`);
        }
      }
      native.setThreads(initialThreads);
    });

    it('alpha = 0 scales C by beta without reading A and B', () => {
      assert.ok(native.setBf16Path(path));
      const c = makeCase(9, 21, 17, false, true, 0, -2, 7);
      c.A.fill(0x7fc0); // NaN
      const expected = Float64Array.from(
        { length: c.M * c.N },
        (_, x) => -2 * c.C[Math.floor(x / c.N) * c.ldc + (x % c.N)],
      );
      expectClose(run(c).dense, expected, { rtol: 0, atol: 0, label: `${path} alpha=0` });
    });

    it('on fp32 data rounded to bf16, stays within bf16 rounding of the exact fp32 product', () => {
      // The figure a model sees: each input off by ≤ 2⁻⁹ relative (half an ulp of 8 bits), so a
      // product by ≤ 2·2⁻⁹ + 2⁻¹⁸, on top of the summation bound. Shape: a linear layer's x·Wᵀ.
      assert.ok(native.setBf16Path(path));
      const rand = rng(5);
      const [M, N, K] = [65, 129, 384];
      const x = Float32Array.from({ length: M * K }, () => rand() * 2 - 1);
      const W = Float32Array.from({ length: N * K }, () => rand() * 2 - 1);
      const xb = new Uint16Array(x.length);
      const Wb = new Uint16Array(W.length);
      kernels.f32ToBf16(xb, x);
      kernels.f32ToBf16(Wb, W);
      const y = new Float32Array(M * N);
      native.gemmBf16(false, true, M, N, K, 1, xb, K, Wb, K, 0, y, N);
      const expected = new Float64Array(M * N);
      const bound = new Float64Array(M * N);
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) {
          let s = 0;
          let mag = 0;
          for (let k = 0; k < K; k++) {
            s += x[i * K + k] * W[j * K + k];
            mag += Math.abs(x[i * K + k] * W[j * K + k]);
          }
          expected[i * N + j] = s;
          bound[i * N + j] = (2 * 2 ** -9 + 2 ** -18 + (K + 8) * U) * mag;
        }
      expectClose(y, expected, { rtol: 0, atol: bound, label: `${path} x·Wᵀ from fp32` });
    });
  });
}

describe('gemmBf16 arguments', () => {
  it('rejects float32 operands and arrays too short for the shape', () => {
    const A = new Uint16Array(16);
    const C = new Float32Array(16);
    assert.throws(
      () => native.gemmBf16(false, false, 4, 4, 4, 1, new Float32Array(16) as unknown as Uint16Array, 4, A, 4, 0, C, 4),
      TypeError,
    );
    assert.throws(() => native.gemmBf16(false, false, 4, 4, 4, 1, new Uint16Array(15), 4, A, 4, 0, C, 4), RangeError);
    assert.throws(() => native.gemmBf16(false, false, 4, 4, 4, 1, A, 3, A, 4, 0, C, 4), /leading dimension/);
  });
});
