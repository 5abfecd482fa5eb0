// The bf16 attention of each bf16 path against the float64 reference computed from the same bf16 inputs:
// odd lengths around the 64 × 64 tiles, several heads and batches, dropout off and on. Paths this
// machine lacks skip with the reason. The generic path rounds the same values to bf16 and multiplies
// in fp32 (any CPU); the avx512bf16 and AMX paths multiply pairs with VDPBF16PS.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { native, type Bf16Path } from '../../src/model/native.js';
import { kernels } from '../../src/model/kernels.js';
import * as ref from '../../src/model/reference-kernels.js';
import { expectClose } from '../helpers/close.js';
import { BF16_PATHS, whyNot } from './bf16-paths.js';
import { rng } from './gemm-case.js';

// Tolerance. q, k, v and dO are rounded to bf16 before the test, so the reference sees exactly the
// kernel's inputs and their products are exact in fp32. What the kernel rounds on its own is the
// probabilities P (and P∘M) before P·v and Pᵀ·dO, and dS before dSᵀ·q and dS·k: each to nearest bf16,
// a relative error of at most u = 2⁻⁸ per entry (8 significant bits, round to nearest). So an output element is off by at most u times the sum
// of the magnitudes of its terms (below, `terms`), plus what fp32 already allows (the fp32 kernel's
// tolerance of kernels.test.ts). A kernel that pairs the wrong depths, reads a stale tile or rounds the
// softmax statistics is far outside.
const U = 2 ** -8;
const FP32 = { rtol: 1e-4, atol: 2e-5 };

/** n uniform values in [lo, hi) rounded to bf16 (as float32 values). */
function bf16Values(n: number, lo: number, hi: number, rand: () => number): Float32Array {
  const bits = new Uint16Array(n);
  kernels.f32ToBf16(
    bits,
    Float32Array.from({ length: n }, () => lo + (hi - lo) * rand()),
  );
  const out = new Float32Array(n);
  kernels.bf16ToF32(out, bits);
  return out;
}

/** Σ of |term| behind every output element whose factor the kernel rounds, in float64 from the
 *  reference's probabilities: out Σ_j P∘M·|v|, dq Σ_j |dS|·|k|, dk Σ_i |dS|·|q|, dv Σ_i P∘M·|dO|. */
function terms(qkv: Float32Array, dout: Float32Array, shape: ref.AttentionShape, p: number, seed: number) {
  const { B, T, C, NH } = shape;
  const HS = C / NH;
  const out = new Float64Array(B * T * C),
    dqkv = new Float64Array(B * T * 3 * C);
  const at = (b: number, t: number, part: number, h: number) => (b * T + t) * 3 * C + part * C + h * HS;
  const { out: o } = ref.attentionForward(qkv, B, T, C, NH, p, seed);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < NH; h++)
      for (let i = 0; i < T; i++) {
        const { P } = ref.attentionRow(qkv, shape, b, h, i);
        const dO = (d: number) => dout[(b * T + i) * C + h * HS + d];
        let D = 0;
        for (let d = 0; d < HS; d++) D += dO(d) * o[(b * T + i) * C + h * HS + d];
        for (let j = 0; j <= i; j++) {
          const M = ref.attentionDrop(shape, p, seed, b, h, i, j);
          let dP = 0;
          for (let d = 0; d < HS; d++) dP += dO(d) * qkv[at(b, j, 2, h) + d];
          const dS = Math.abs((P[j] * (dP * M - D)) / Math.sqrt(HS));
          for (let d = 0; d < HS; d++) {
            out[(b * T + i) * C + h * HS + d] += P[j] * M * Math.abs(qkv[at(b, j, 2, h) + d]);
            dqkv[at(b, i, 0, h) + d] += dS * Math.abs(qkv[at(b, j, 1, h) + d]);
            dqkv[at(b, j, 1, h) + d] += dS * Math.abs(qkv[at(b, i, 0, h) + d]);
            dqkv[at(b, j, 2, h) + d] += P[j] * M * Math.abs(dO(d));
          }
        }
      }
  return { out, dqkv };
}

/** |got − want| ≤ U·bound + the fp32 tolerance, element by element. */
function expectWithin(got: Float32Array, want: Float64Array, bound: Float64Array, label: string): void {
  assert.equal(got.length, want.length, label);
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    const tol = U * bound[i] * 1.01 + FP32.rtol * Math.abs(want[i]) + FP32.atol;
    assert.ok(err <= tol, `${label}[${i}]: ${got[i]} vs ${want[i]} (error ${err}, tolerance ${tol})`);
  }
}

const SHAPES: Array<[number, number, number, number]> = [
  [1, 1, 16, 1],
  [1, 7, 32, 2],
  [2, 65, 64, 4],
  [1, 130, 32, 1],
  [1, 129, 128, 2],
];

describe('bf16 attention', () => {
  const initial = native.bf16Path();
  after(() => native.setBf16Path(initial));

  for (const path of BF16_PATHS) {
    const skip = whyNot(path);
    it(`${path}: out, lse and dqkv within bf16's rounding of P and dS, dropout off and on`, { skip }, () => {
      assert.ok(native.setBf16Path(path));
      const rand = rng(11);
      for (const [B, T, C, NH] of SHAPES)
        for (const p of [0, 0.25]) {
          const label = `${path} B${B} T${T} C${C} NH${NH} p${p}`;
          const qkv = bf16Values(B * T * 3 * C, -2, 2, rand);
          const dout = bf16Values(B * T * C, -1, 1, rand);
          const out = new Float32Array(B * T * C),
            lse = new Float32Array(B * NH * T);
          kernels.attentionForwardBf16(out, lse, qkv, B, T, C, NH, p, 7);
          const want = ref.attentionForward(qkv, B, T, C, NH, p, 7);
          const bound = terms(qkv, dout, { B, T, C, NH }, p, 7);
          expectWithin(out, want.out, bound.out, `${label} out`);
          // Scores are exact products of bf16 values summed in fp32: lse is as accurate as fp32's.
          expectClose(lse, want.lse, { rtol: 1e-5, atol: 1e-5, label: `${label} lse` });
          const dqkv = new Float32Array(B * T * 3 * C);
          // The backward is given the reference's out and lse (to fp32), so that what it is checked for is its own
          // rounding: D = rowsum(dO ∘ out) from the bf16 forward's out would carry that forward's error into dS.
          const [outRef, lseRef] = [Float32Array.from(want.out), Float32Array.from(want.lse)];
          kernels.attentionBackwardBf16(dqkv, dout, qkv, outRef, lseRef, B, T, C, NH, p, 7);
          expectWithin(dqkv, ref.attentionBackward(dout, qkv, B, T, C, NH, p, 7), bound.dqkv, `${label} dqkv`);
        }
    });

    if (path === 'generic') continue;
    it(`${path}: heads narrower than 16 take the generic path's bf16 kernels, bit for bit`, { skip }, () => {
      const [B, T, C, NH] = [2, 70, 24, 3];
      const rand = rng(5);
      const qkv = Float32Array.from({ length: B * T * 3 * C }, () => rand() * 4 - 2);
      const dout = Float32Array.from({ length: B * T * C }, () => rand() * 2 - 1);
      const run = (on: Bf16Path) => {
        assert.ok(native.setBf16Path(on));
        const out = new Float32Array(B * T * C),
          lse = new Float32Array(B * NH * T),
          dqkv = new Float32Array(B * T * 3 * C);
        kernels.attentionForwardBf16(out, lse, qkv, B, T, C, NH, 0.1, 3);
        kernels.attentionBackwardBf16(dqkv, dout, qkv, out, lse, B, T, C, NH, 0.1, 3);
        return [out, lse, dqkv];
      };
      const fast = run(path);
      assert.deepEqual(fast, run('generic'));
      // and they are bf16 kernels: the fp32 attention differs
      const out = new Float32Array(B * T * C),
        lse = new Float32Array(B * NH * T);
      kernels.attentionForward(out, lse, qkv, B, T, C, NH, 0.1, 3);
      assert.notDeepEqual(fast[0], out);
    });
  }
});
