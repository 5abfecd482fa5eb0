// The transformer in bf16 mixed precision (Transformer.precision, native/src/model.h) against the same
// model in fp32, on every bf16 GEMM path this machine has, post-LN ReLU and pre-LN GELU (each with its
// fused activation): logits and gradients within bf16's tolerance (and the contrastive objective's pooled
// vectors and gradients), the fast paths equal to the generic
// one (which widens to fp32: a plain reference) to fp32 rounding, and tiny-preset training that ends
// within 1% of fp32's validation loss. Speed is bench/train-step.mjs's.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { native } from '../../src/model/native.js';
import { Transformer } from '../../src/model/transformer.js';
import { loadPreset, type ModelConfig } from '../../src/model/config.js';
import { oneCycleLr } from '../../src/model/one-cycle.js';
import { Rng } from '../../src/util/rng.js';
import { BF16_PATHS, whyNot } from './bf16-paths.js';

// Tolerances. bf16 keeps 8 significant bits, so rounding to nearest moves a value by at most u = 2⁻⁸ of
// itself; a product of two rounded operands is off by ≤ 2u relative, and a dot product Σ x·w by
// ≤ 2u·Σ|x·w| (the fp32 sums add ~K·2⁻²⁴, negligible here). LayerNorm and the residual stream keep each
// layer's relative error from being amplified, so over the D matmuls between input and logits the errors
// at most add: a relative RMS error ≤ 2u·D. Gradients pass through the D matmuls of the forward and D
// more of the backward: ≤ 2u·2D per tensor. The floor (2⁻¹⁶) sits far above fp32's reordering noise
// (~1e-7) and far below bf16's rounding: below it the bf16 path was not taken at all.
const u = 2 ** -8;
const floor = 2 ** -16;

const preset = loadPreset('tiny');
const config = preset.model;
const D = 4 * config.nLayers + 1; // qkv, out proj, linear1, linear2 per layer; the head
// The tiny preset's post-LN ReLU, and the small and paper presets' pre-LN GELU (its own fused activation).
const layouts: [string, ModelConfig][] = [
  ['post-LN ReLU', config],
  ['pre-LN GELU', { ...config, layout: 'pre-ln', activation: 'gelu' }],
];

const initialPath = native.bf16Path();
after(() => native.setBf16Path(initialPath));

/** sqrt(Σ (a − b)²) / sqrt(Σ b²). */
function relRms(a: Float32Array, b: Float32Array): number {
  let d = 0,
    n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return Math.sqrt(d / n);
}

/** Windows (B, T) of the noisy counting pattern of test/helpers/tiny-shards.ts: ids 4..63, mostly +3. */
function windows(rng: Rng, B: number, T: number): Int32Array {
  const out = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    let x = 4 + rng.nextInt(60);
    for (let t = 0; t < T; t++)
      out[b * T + t] = x = rng.nextFloat() < 0.85 ? 4 + ((x - 4 + 3) % 60) : 4 + rng.nextInt(60);
  }
  return out;
}

const B = 4,
  T = 32;
const tokens = windows(new Rng(7), B, T);
const rows = Int32Array.from({ length: B * T }, (_, i) => i);

/** Logits and gradients of one model of `layout` (seed 1) in `precision`. */
function pass(
  layout: ModelConfig,
  precision: 'fp32' | 'bf16',
): { logits: Float32Array; loss: number; grads: Map<string, Float32Array> } {
  const model = Transformer.create(layout, 1);
  model.precision = precision;
  const logits = model.logits(tokens, B, T, rows);
  const loss = model.forwardBackward(tokens, B, T);
  return { logits, loss, grads: new Map([...model.gradients()].map(([k, g]) => [k, g.slice()])) };
}

/** The contrastive objective's path (pooledForward, pooledBackward of a fixed dout): pooled vectors and gradients. */
function pooledPass(
  layout: ModelConfig,
  precision: 'fp32' | 'bf16',
): { pooled: Float32Array; grads: Map<string, Float32Array> } {
  const model = Transformer.create({ ...layout, dropout: 0 }, 1);
  model.precision = precision;
  const mask = Uint8Array.from({ length: B * T }, (_, i) => (i % T < T - (i / T) * 5 ? 1 : 0));
  const pooled = model.pooledForward(tokens, mask, B, T).slice();
  const rng = new Rng(5);
  model.pooledBackward(Float32Array.from(pooled, () => rng.nextFloat() - 0.5));
  return { pooled, grads: new Map([...model.gradients()].map(([k, g]) => [k, g.slice()])) };
}

const reference = layouts.map(([, layout]) => {
  native.setBf16Path('generic');
  return { fp32: pass(layout, 'fp32'), generic: pass(layout, 'bf16'), pooled: pooledPass(layout, 'fp32') };
});

describe('Transformer.precision', () => {
  it('is fp32 unless set, and bf16 once set', () => {
    const model = Transformer.create(config, 1);
    assert.equal(model.precision, 'fp32');
    model.precision = 'bf16';
    assert.equal(model.precision, 'bf16');
  });
});

for (const path of BF16_PATHS)
  layouts.forEach(([label, layout], l) => {
    const { fp32, generic } = reference[l];
    describe(`bf16 model, ${label} (${path} GEMM)`, { skip: whyNot(path) }, () => {
      it(`logits within 2u·D = ${(2 * u * D).toFixed(3)} (relative RMS) of fp32, and not equal to them`, () => {
        native.setBf16Path(path);
        const bf16 = pass(layout, 'bf16');
        const err = relRms(bf16.logits, fp32.logits);
        assert.ok(err <= 2 * u * D, `relative RMS error ${err}`);
        assert.ok(err > floor, `relative RMS error ${err}: the logits are fp32's, bf16 was not used`);
        assert.ok(Math.abs(bf16.loss - fp32.loss) / fp32.loss <= 2 * u * D, `loss ${bf16.loss} vs ${fp32.loss}`);
      });

      it(`every gradient within 2u·2D = ${(4 * u * D).toFixed(3)} (relative RMS) of fp32`, () => {
        native.setBf16Path(path);
        const bf16 = pass(layout, 'bf16');
        for (const [name, g] of fp32.grads) {
          const err = relRms(bf16.grads.get(name)!, g);
          assert.ok(err <= 4 * u * D, `${name}: relative RMS error ${err}`);
        }
        const worst = Math.max(...[...fp32.grads].map(([name, g]) => relRms(bf16.grads.get(name)!, g)));
        assert.ok(worst > floor, `gradients equal fp32's (worst ${worst}): bf16 was not used`);
      });

      it('pooled vectors and their gradients (the contrastive path) within the same bounds of fp32', () => {
        native.setBf16Path(path);
        const bf16 = pooledPass(layout, 'bf16');
        const fp = reference[l].pooled;
        const err = relRms(bf16.pooled, fp.pooled);
        assert.ok(err <= 2 * u * D && err > floor, `pooled: relative RMS error ${err}`);
        for (const [name, g] of fp.grads) {
          const e = relRms(bf16.grads.get(name)!, g);
          // Parameters the pooled output does not reach (the next-token head) have zero gradient in both.
          assert.ok(e <= 4 * u * D || g.every((x) => x === 0), `${name}: relative RMS error ${e}`);
        }
      });

      it('equals the generic path (bf16 operands widened to fp32) to fp32 rounding', () => {
        native.setBf16Path(path);
        const bf16 = pass(layout, 'bf16');
        // The same bf16 operands summed in another order: fp32 noise, except where it tips an activation
        // across a bf16 rounding boundary (one ulp, rare); far below bf16-vs-fp32's own difference.
        assert.ok(relRms(bf16.logits, generic.logits) <= 1e-4);
        for (const [name, g] of generic.grads) assert.ok(relRms(bf16.grads.get(name)!, g) <= 1e-3, name);
      });
    });
  });

describe('bf16 training parity (tiny preset, 300 steps)', () => {
  const steps = 300;
  const valid = windows(new Rng(99), 16, T);

  /** Trains seed 1 on the same batches in `precision`; returns the validation loss and the model. */
  function trainRun(precision: 'fp32' | 'bf16'): { loss: number; model: Transformer } {
    const model = Transformer.create(config, 1, preset.train);
    model.precision = precision;
    const data = new Rng(11);
    const t = preset.train;
    for (let s = 0; s < steps; s++) {
      const lr = oneCycleLr(s, { maxLr: t.lr, totalSteps: steps, pctStart: t.pctStart, divFactor: t.divFactor });
      model.trainStep(windows(data, B, T), B, T, lr);
    }
    return { loss: model.evalLoss(valid, 16, T).loss, model };
  }

  it('ends within 1% of fp32 validation loss, with fp32 master weights', () => {
    native.setBf16Path(native.cpuFeatures().bestBf16);
    const a = trainRun('fp32');
    const b = trainRun('bf16');
    // The pattern is learnable far below the uniform guess (ln 64 = 4.16): parity of runs that learned.
    assert.ok(a.loss < 2.5, `fp32 validation loss ${a.loss}: the run did not learn`);
    assert.ok(Math.abs(b.loss - a.loss) / a.loss <= 0.01, `bf16 ${b.loss} vs fp32 ${a.loss}`);
    // AdamW updated fp32 masters: bf16 copies would leave the low 16 bits of every weight zero.
    const w = b.model.parameters().get('encoder.layers.0.linear1.weight')!;
    const low = new Uint32Array(w.buffer, w.byteOffset, w.length).filter((x) => (x & 0xffff) !== 0).length;
    assert.ok(low > w.length / 2, `${low} of ${w.length} weights have fp32 bits below bf16's`);
  });
});
