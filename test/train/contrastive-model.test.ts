// The contrastive model: a step with the joint clip equals the same step done by hand (global norm over
// transformer and head, each part scaled alike), a saved checkpoint continues exactly, and a tiny model
// learns to pair slices of the same performance (validation loss falls, top-1 rises); a composer weight
// reaches the loss in training and validation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadPreset } from '../../src/model/config.js';
import { EmbeddingHead } from '../../src/model/embedding-head.js';
import { Transformer } from '../../src/model/transformer.js';
import { ContrastiveModel, contrastiveValidation } from '../../src/train/contrastive-model.js';
import { infoNce } from '../../src/train/info-nce.js';
import { Rng } from '../../src/util/rng.js';
import { SlicePairs, type SlicePiece } from '../../src/train/slice-pairs.js';
import { expectClose } from '../helpers/close.js';
import { tempDir } from '../helpers/temp-dir.js';

const framing = { padId: 0, bosId: 1, eosId: 2 };
const config = {
  ...loadPreset('tiny').model,
  vocabSize: 64,
  maxLen: 64,
  dropout: 0,
  layout: 'pre-ln' as const,
  activation: 'gelu' as const,
};
const optim = { lr: 3e-3, weightDecay: 0, clipNorm: 1 };
/** Performances whose tokens come from their own narrow band of the vocabulary: pairable from their statistics. */
function pieces(n: number, seed: number): SlicePiece[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, p) => ({
    ids: Int32Array.from({ length: 60 }, () => 3 + ((p * 5 + rng.nextInt(8)) % 61)),
    work: `w${p}`,
  }));
}
const make = (seed: number, clipNorm = 1, composerWeight = 0) => {
  const rng = new Rng(seed);
  return new ContrastiveModel(
    Transformer.create(config, seed, optim),
    EmbeddingHead.create(config.dModel, 16, () => rng.nextFloat()),
    { temperature: 0.1, clipNorm, composerWeight },
  );
};
const params = (m: ContrastiveModel) => [
  ...[...m.transformer.parameters().values()].map((v) => Float32Array.from(v)),
  Float32Array.from(m.head.weight),
  Float32Array.from(m.head.bias),
];

test('a step clips transformer and head by their joint norm, as the same step done by hand', () => {
  const batch = new SlicePairs(pieces(6, 1), framing, 8, 24, 3).next(4);
  const a = make(7, 0.05),
    b = make(7, 0.05);
  const r = a.trainStep(batch, 1e-2);
  // By hand on b: forward, InfoNCE, backward, then scale every gradient by clip / joint norm.
  const { B, T } = batch;
  const cache = b.head.forward(b.transformer.pooledForward(batch.tokens, batch.mask, 2 * B, T), 2 * B);
  const nce = infoNce(cache.z.subarray(0, B * 16), cache.z.subarray(B * 16), B, 16, 0.1);
  const dz = new Float64Array(2 * B * 16);
  dz.set(nce.dA);
  dz.set(nce.dB, B * 16);
  b.head.zeroGrad();
  b.transformer.pooledBackward(Float32Array.from(b.head.backward(cache, dz, 2 * B)));
  let sq = b.head.gradSquares();
  for (const g of b.transformer.gradients().values()) for (const x of g) sq += x * x;
  const norm = Math.sqrt(sq);
  expectClose(r.gradNorm, norm, { rtol: 1e-5, label: 'joint norm' });
  assert.ok(norm > 0.05, 'the clip is active in this test');
  const scale = 0.05 / (norm + 1e-6);
  for (const g of b.transformer.gradients().values()) for (let i = 0; i < g.length; i++) g[i] *= scale;
  b.transformer.optimizerStep(1e-2, 0);
  const o = b.transformer.optim;
  b.head.adamw(1e-2, { beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay }, scale);
  const [pa, pb] = [params(a), params(b)];
  pa.forEach((x, i) => expectClose(x, pb[i], { rtol: 1e-5, atol: 1e-7, label: `tensor ${i}` }));
  expectClose(r.loss, nce.loss, { rtol: 1e-9, label: 'loss' });
});

test('a saved checkpoint continues exactly', () => {
  const dir = tempDir('contrastive');
  const sampler = new SlicePairs(pieces(6, 2), framing, 8, 24, 5);
  const a = make(3);
  a.trainStep(sampler.next(4), 1e-2);
  a.save(dir, true);
  const b = ContrastiveModel.load(dir);
  const batch = sampler.next(4);
  assert.equal(b.trainStep(batch, 1e-2).loss, a.trainStep(batch, 1e-2).loss);
  const [pa, pb] = [params(a), params(b)];
  pa.forEach((x, i) => assert.deepEqual(pb[i], x, `tensor ${i}`));
});

test('a tiny model learns to pair slices of the same performance', () => {
  const train = pieces(12, 3),
    validation = pieces(8, 4);
  const validate = contrastiveValidation(validation, framing, 12, 32, 8, 2, 9, {});
  const model = make(11);
  const before = validate(model);
  const sampler = new SlicePairs(train, framing, 12, 32, 1);
  for (let step = 0; step < 60; step++) model.trainStep(sampler.next(8), 3e-3);
  const after = validate(model);
  assert.ok(after.loss < before.loss - 0.3, `validation loss ${before.loss.toFixed(3)} → ${after.loss.toFixed(3)}`);
  assert.ok(after.top1 > before.top1, `top-1 ${before.top1} → ${after.top1}`);
});

test('a composer weight spreads the target over the pairs of a composer, in training and validation alike', () => {
  const withComposers = pieces(8, 5).map((p, i) => ({ ...p, composer: i < 6 ? `c${i % 2}` : undefined }));
  const batch = new SlicePairs(withComposers, framing, 12, 32, 2).next(8);
  assert.deepEqual(
    Array.from(batch.composers),
    Array.from(batch.pieces.subarray(0, 8), (p) => (p < 6 ? (p % 2 === 0 ? 0 : 1) : -1)),
    'composer index of each pair, −1 where unknown',
  );
  const weighted = make(13, 1, 0.7);
  const plain = make(13);
  const z = weighted.embed(batch.tokens, batch.mask, 16, batch.T);
  const D = weighted.head.D;
  const expected = infoNce(z.subarray(0, 8 * D), z.subarray(8 * D), 8, D, 0.1, {
    groups: batch.composers,
    weight: 0.7,
  });
  expectClose(weighted.evalBatch(batch).loss, expected.loss, { rtol: 1e-6, label: 'validation loss' });
  assert.notEqual(weighted.evalBatch(batch).loss, plain.evalBatch(batch).loss);
  expectClose(weighted.trainStep(batch, 0).loss, expected.loss, { rtol: 1e-6, label: 'training loss' });
});
