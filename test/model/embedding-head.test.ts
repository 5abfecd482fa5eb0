// The contrastive embedding head: unit-norm output, gradients (weight, bias, pooled input) against central
// finite differences through the normalisation, and one AdamW step against the update written out by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EmbeddingHead } from '../../src/model/embedding-head.js';
import { Rng } from '../../src/util/rng.js';
import { expectClose } from '../helpers/close.js';

const C = 6,
  D = 4,
  N = 3;
const rng = new Rng(11);
const pooled = Float64Array.from({ length: N * C }, () => rng.nextFloat() - 0.5);
/** A loss that weighs every output differently, so every gradient path matters. */
const weights = Float64Array.from({ length: N * D }, () => rng.nextFloat() - 0.5);
const loss = (head: EmbeddingHead, p: ArrayLike<number>) =>
  head.forward(p, N).z.reduce((s, z, i) => s + z * weights[i], 0);

test('outputs are unit vectors', () => {
  const head = EmbeddingHead.create(C, D, () => rng.nextFloat());
  const { z } = head.forward(pooled, N);
  for (let n = 0; n < N; n++)
    expectClose(Math.hypot(...z.subarray(n * D, n * D + D)), 1, { rtol: 1e-12, label: `row ${n}` });
});

test('gradients equal central finite differences', () => {
  const head = EmbeddingHead.create(C, D, () => rng.nextFloat());
  const cache = head.forward(pooled, N);
  head.zeroGrad();
  const dp = head.backward(cache, weights, N);
  // Central differences over the step actually stored (the weights are float32: w ± h rounds), h = 1e-3.
  const numeric = (x: Float32Array | Float64Array, f: () => number, h = 1e-3) =>
    Float64Array.from(x, (v, i) => {
      x[i] = v + h;
      const [up, hi] = [f(), x[i]];
      x[i] = v - h;
      const [down, lo] = [f(), x[i]];
      x[i] = v;
      return (up - down) / (hi - lo);
    });
  expectClose(
    head.gradWeight,
    numeric(head.weight, () => loss(head, pooled)),
    { rtol: 1e-4, atol: 1e-6, label: 'dW' },
  );
  expectClose(
    head.gradBias,
    numeric(head.bias, () => loss(head, pooled)),
    { rtol: 1e-4, atol: 1e-6, label: 'db' },
  );
  const p = Float64Array.from(pooled);
  expectClose(
    dp,
    numeric(p, () => loss(head, p)),
    { rtol: 1e-4, atol: 1e-6, label: 'dpooled' },
  );
});

test('one AdamW step is the PyTorch update: w(1 − lr·wd) − lr·m̂ / (√v̂ + eps), bias-corrected, gradients scaled by the clip', () => {
  const head = new EmbeddingHead(1, 1, [0.5], [-0.25]);
  head.gradWeight[0] = 2;
  head.gradBias[0] = -4;
  const o = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };
  head.adamw(0.01, o, 0.5);
  // Step 1: m̂ = g, v̂ = g², so the step is lr·sign(g) (up to eps) after the decay (stored in float32).
  expectClose(head.weight[0], 0.5 * (1 - 0.01 * 0.1) - (0.01 * 1) / (1 + 1e-8), { rtol: 1e-7, label: 'weight' });
  expectClose(head.bias[0], -0.25 * (1 - 0.01 * 0.1) + (0.01 * 2) / (2 + 1e-8), { rtol: 1e-7, label: 'bias' });
  assert.throws(() => new EmbeddingHead(2, 2, [1, 2, 3]), /weight has 3 values, expected 2 × 2/);
});

test('a saved head restores exactly, moments and step included: the next step is the same', () => {
  const o = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };
  const a = EmbeddingHead.create(C, D, () => rng.nextFloat());
  const stepOnce = (h: EmbeddingHead) => {
    h.zeroGrad();
    h.backward(h.forward(pooled, N), weights, N);
    h.adamw(1e-2, o);
  };
  stepOnce(a);
  const b = EmbeddingHead.fromTensors(a.tensors(true), 'test');
  stepOnce(a);
  stepOnce(b);
  assert.deepEqual(b.weight, a.weight);
  assert.deepEqual(b.bias, a.bias);
  const weightsOnly = EmbeddingHead.fromTensors(a.tensors(false), 'test');
  assert.deepEqual(weightsOnly.weight, a.weight);
  assert.throws(() => EmbeddingHead.fromTensors(new Map(), 'x.safetensors'), /x\.safetensors: no embedding head/);
});
