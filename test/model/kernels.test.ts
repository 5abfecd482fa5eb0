// Forward kernels and optimizer pieces of the native core against the float64 references of
// src/model/reference-kernels.ts, for every ISA this CPU can run, on odd shapes (1, 7, 33, 129 rows;
// channels not a multiple of 16; T = 1, 5, 67, 130; head sizes 8 and 64), dropout off and on, plus the
// binding's argument checks. Backward kernels are gradients.test.ts's business; speed is bench/kernels.mjs's.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kernels } from '../../src/model/kernels.js';
import * as ref from '../../src/model/reference-kernels.js';
import { Rng } from '../../src/util/rng.js';
import { expectClose } from '../helpers/close.js';
import { isaConfigs, useIsa } from '../helpers/isa.js';

const rng = new Rng(4);
const uniform = (n: number, lo = -1, hi = 1) =>
  Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.nextFloat());
const ints = (n: number, limit: number) => Int32Array.from({ length: n }, () => rng.nextU32() % limit);
const f32 = (x: ArrayLike<number>) => Float32Array.from(x);
/** A random size in [1, max], so each run of a suite also covers a shape nobody picked. */
const size = (max: number) => 1 + (rng.nextU32() % max);

for (const config of isaConfigs()) {
  describe(`forward kernels (${config.isa}, ${config.threads} threads)`, () => {
    useIsa(config);

    // N ≤ 8 takes the few-rows path (decoding), larger N the sgemm path; IC 67 has a vector tail.
    it('linear: y = x·Wᵀ + b, with and without bias', () => {
      for (const [N, IC, OC] of [
        [1, 1, 1],
        [7, 5, 3],
        [1, 67, 40],
        [8, 256, 33],
        [33, 17, 129],
        [129, 64, 33],
        [size(200), size(100), size(100)],
      ]) {
        const x = uniform(N * IC),
          W = uniform(OC * IC),
          b = uniform(OC);
        for (const bias of [b, null]) {
          const y = new Float32Array(N * OC).fill(NaN);
          kernels.linearForward(y, x, W, bias, N, IC, OC);
          expectClose(y, ref.linearForward(x, W, bias, N, IC, OC), {
            rtol: 1e-5,
            atol: 1e-5,
            label: `linear ${N}x${IC}x${OC}`,
          });
        }
      }
    });

    it('embedding: token row + position row', () => {
      for (const [B, T, C, V] of [
        [1, 1, 1, 1],
        [2, 7, 33, 11],
        [3, 33, 20, 300],
        [size(4), size(50), size(70), size(500)],
      ]) {
        const tokens = ints(B * T, V),
          wte = uniform(V * C),
          wpe = uniform((T + 2) * C);
        const out = new Float32Array(B * T * C);
        kernels.embeddingForward(out, tokens, wte, wpe, B, T, C);
        expectClose(out, ref.embeddingForward(tokens, wte, wpe, B, T, C), {
          rtol: 1e-6,
          atol: 0,
          label: `embedding ${B}x${T}x${C}`,
        });
      }
    });

    it('layernorm: output, mean and rstd', () => {
      for (const [N, C] of [
        [1, 1],
        [7, 5],
        [33, 17],
        [129, 384],
        [3, 1000],
        [size(200), size(500)],
      ]) {
        const x = uniform(N * C, -3, 5),
          w = uniform(C),
          b = uniform(C);
        const out = new Float32Array(N * C),
          mean = new Float32Array(N),
          rstd = new Float32Array(N);
        kernels.layernormForward(out, mean, rstd, x, w, b, N, C);
        const r = ref.layernormForward(x, w, b, N, C);
        expectClose(out, r.out, { rtol: 1e-4, atol: 1e-5, label: `layernorm ${N}x${C}` });
        expectClose(mean, r.mean, { rtol: 1e-5, atol: 1e-6, label: 'mean' });
        expectClose(rstd, r.rstd, { rtol: 1e-4, label: 'rstd' });
      }
    });

    it('relu and exact-erf gelu, including the far tails', () => {
      for (const n of [1, 7, 33, 4099]) {
        const x = uniform(n, -9, 9);
        const out = new Float32Array(n);
        kernels.reluForward(out, x);
        expectClose(out, ref.reluForward(x), { rtol: 0, atol: 0, label: `relu ${n}` });
        kernels.geluForward(out, x);
        expectClose(out, ref.geluForward(x), { rtol: 2e-6, atol: 1e-7, label: `gelu ${n}` });
      }
    });

    it('dropout: the reference mask bit for bit, p = 0 is the identity, in place works', () => {
      for (const n of [1, 7, 129, 5000]) {
        const x = uniform(n);
        for (const [p, seed] of [
          [0, 1],
          [0.1, 42],
          [0.5, 2 ** 40 + 3],
          [0.9, 7],
        ]) {
          const out = new Float32Array(n);
          kernels.dropoutForward(out, x, p, seed);
          expectClose(out, ref.dropoutForward(x, p, seed), { rtol: 1e-6, atol: 0, label: `dropout n=${n} p=${p}` });
          const inPlace = f32(x);
          kernels.dropoutForward(inPlace, inPlace, p, seed);
          assert.deepEqual(inPlace, out, 'in-place dropout differs');
        }
      }
    });

    it('dropout keeps a fraction 1 - p of elements, and seeds give different masks', () => {
      const n = 200_000;
      const ones = new Float32Array(n).fill(1);
      for (const p of [0.1, 0.5]) {
        const a = new Float32Array(n),
          b = new Float32Array(n);
        kernels.dropoutForward(a, ones, p, 11);
        kernels.dropoutForward(b, ones, p, 12);
        const kept = a.filter((v) => v !== 0).length / n;
        const sigma = Math.sqrt((p * (1 - p)) / n);
        assert.ok(Math.abs(kept - (1 - p)) < 5 * sigma, `keep rate ${kept} for p=${p}`);
        let same = 0;
        for (let i = 0; i < n; i++) if ((a[i] !== 0) === (b[i] !== 0)) same++;
        const expectSame = p * p + (1 - p) * (1 - p);
        assert.ok(
          Math.abs(same / n - expectSame) < 0.01,
          `masks of two seeds agree on ${same / n}, independent would be ${expectSame}`,
        );
      }
    });

    it('attention: out and lse, causal, dropout off and on', () => {
      const heads = size(3);
      for (const [B, T, C, NH] of [
        [1, 1, 8, 1],
        [2, 5, 24, 3],
        [1, 7, 10, 2],
        [1, 67, 128, 2],
        [1, 130, 16, 2],
        [2, 130, 64, 1],
        [size(2), size(150), heads * 8 * size(8), heads],
      ]) {
        const qkv = uniform(B * T * 3 * C, -2, 2);
        for (const p of [0, 0.2]) {
          const out = new Float32Array(B * T * C),
            lse = new Float32Array(B * NH * T);
          kernels.attentionForward(out, lse, qkv, B, T, C, NH, p, 99);
          const r = ref.attentionForward(qkv, B, T, C, NH, p, 99);
          const label = `attention B${B} T${T} C${C} NH${NH} p${p}`;
          expectClose(out, r.out, { rtol: 1e-4, atol: 2e-5, label });
          expectClose(lse, r.lse, { rtol: 1e-5, atol: 1e-5, label: `${label} lse` });
        }
      }
    });

    it('cross-entropy: losses, total and in-place gradient, ignored rows', () => {
      for (const [N, V] of [
        [1, 1],
        [7, 5],
        [33, 129],
        [3, 30000],
        [size(40), size(3000)],
      ]) {
        const logits = uniform(N * V, -8, 8);
        const targets = ints(N, V);
        if (N > 1) targets[1] = -100;
        const losses = new Float32Array(N);
        const total = kernels.crossentropyForward(losses, logits, targets, N, V, -100);
        const r = ref.crossentropyForward(logits, targets, N, V, -100);
        expectClose(losses, r.losses, { rtol: 1e-5, atol: 1e-5, label: `ce losses ${N}x${V}` });
        expectClose(total, r.total, { rtol: 1e-5, atol: 1e-5, label: 'ce total' });

        const grad = f32(logits);
        const losses2 = new Float32Array(N);
        const total2 = kernels.crossentropyForwardBackward(grad, losses2, targets, N, V, -100, 0.25);
        expectClose(total2, r.total, { rtol: 1e-5, atol: 1e-5, label: 'ce fused total' });
        expectClose(losses2, r.losses, { rtol: 1e-5, atol: 1e-5, label: 'ce fused losses' });
        expectClose(grad, ref.crossentropyBackward(logits, targets, N, V, -100, 0.25), {
          rtol: 1e-4,
          atol: 1e-8,
          label: `ce grad ${N}x${V}`,
        });
      }
    });

    it('mean pool over valid steps; a row with no valid step pools to 0', () => {
      for (const [B, T, C] of [
        [1, 1, 1],
        [3, 7, 17],
        [4, 33, 129],
      ]) {
        const h = uniform(B * T * C);
        const mask = Uint8Array.from({ length: B * T }, () => (rng.nextFloat() < 0.7 ? 1 : 0));
        mask.fill(0, 0, T);
        const out = new Float32Array(B * C).fill(NaN);
        kernels.meanpoolForward(out, h, mask, B, T, C);
        expectClose(out, ref.meanpoolForward(h, mask, B, T, C), {
          rtol: 1e-5,
          atol: 1e-6,
          label: `meanpool ${B}x${T}x${C}`,
        });
      }
    });

    it('optimizer pieces: Σg², Σ|w|, L1 subgradient, scale, AdamW', () => {
      for (const n of [1, 7, 33, 100_003]) {
        const g = uniform(n),
          w = uniform(n);
        w[0] = 0;
        expectClose(kernels.sumSquares(g), ref.sumSquares(g), { rtol: 1e-12, label: 'sum_squares' });
        expectClose(kernels.sumAbs(w), ref.sumAbs(w), { rtol: 1e-12, label: 'sum_abs' });
        const gl = f32(g);
        kernels.l1Grad(gl, w, 0.01);
        expectClose(gl, ref.l1Grad(g, w, 0.01), { rtol: 1e-6, atol: 1e-7, label: 'l1_grad' });
        const gs = f32(g);
        kernels.scale(gs, 0.3);
        expectClose(
          gs,
          Array.from(g, (v) => v * 0.3),
          { rtol: 1e-6, atol: 0, label: 'scale' },
        );

        const m = uniform(n, -0.1, 0.1),
          v = uniform(n, 0, 0.01);
        const W = f32(w),
          M = f32(m),
          S = f32(v);
        for (const t of [1, 2, 50]) {
          const r = ref.adamwUpdate(W, g, M, S, 3e-4, 0.9, 0.95, 1e-8, 0.1, t);
          kernels.adamwUpdate(W, g, M, S, 3e-4, 0.9, 0.95, 1e-8, 0.1, t);
          expectClose(W, r.w, { rtol: 1e-6, atol: 1e-8, label: `adamw w t=${t}` });
          expectClose(M, r.m, { rtol: 1e-5, atol: 3e-8, label: 'adamw m' });
          expectClose(S, r.v, { rtol: 1e-5, atol: 3e-9, label: 'adamw v' });
        }
      }
    });
  });
}

describe('kernel binding argument checks', () => {
  it('rejects token ids outside the table, targets outside the vocabulary, and short arrays', () => {
    const out = new Float32Array(4 * 2);
    assert.throws(
      () =>
        kernels.embeddingForward(
          out,
          Int32Array.from([0, 5, 1, 2]),
          new Float32Array(3 * 2),
          new Float32Array(4 * 2),
          1,
          4,
          2,
        ),
      RangeError,
    );
    assert.throws(
      () => kernels.crossentropyForward(null, new Float32Array(6), Int32Array.from([0, 3]), 2, 3, -100),
      /targets\[1\]/,
    );
    assert.throws(
      () => kernels.linearForward(new Float32Array(3), new Float32Array(4), new Float32Array(4), null, 2, 2, 2),
      /y: typed array too short/,
    );
    assert.throws(
      () => kernels.reluForward(new Float32Array(4), new Float64Array(4) as unknown as Float32Array),
      TypeError,
    );
    assert.throws(
      () =>
        kernels.attentionForward(new Float32Array(10), new Float32Array(10), new Float32Array(30), 1, 2, 5, 2, 0, 0),
      /multiple of NH/,
    );
    assert.throws(() => kernels.dropoutForward(out, out, 1, 0), RangeError);
    assert.throws(() => kernels.sumSquares([1, 2] as unknown as Float32Array), TypeError);
  });
});
