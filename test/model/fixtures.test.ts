// motif's transformer against golden fixtures written by PyTorch (python/make_fixtures.py, float64):
// logits, embedding, loss, every gradient, the pooled (contrastive) path's gradients, the parameters after
// 3 AdamW steps with clipping (and L1), and the contrastive head with symmetric InfoNCE.
// The fixtures are committed, so this runs without torch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectClose } from '../helpers/close.js';
import { withIsa } from '../helpers/isa.js';
import { Transformer } from '../../src/model/transformer.js';
import { native } from '../../src/model/native.js';
import { readSafetensors } from '../../src/model/safetensors.js';
import type { ModelConfig } from '../../src/model/config.js';
import { EmbeddingHead } from '../../src/model/embedding-head.js';
import { infoNce } from '../../src/train/info-nce.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'model');

interface Case {
  config: ModelConfig;
  B: number;
  T: number;
  tokens: number[];
  loss: number;
  optim: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; clip: number; l1: number };
  steps: { loss: number; l1Penalty: number; gradNorm: number }[];
}
interface InfoNceCase {
  /** Group targets (info-nce.ts): the group of each pair and its share of the target. */
  groups?: number[];
  groupWeight?: number;
  pairs: number;
  C: number;
  D: number;
  temperature: number;
  pooled: number[];
  weight: number[];
  bias: number[];
  loss: number;
  dWeight: number[];
  dBias: number[];
  dPooled: number[];
}
const summary = JSON.parse(readFileSync(join(DIR, 'fixtures.json'), 'utf8')) as {
  cases: Record<string, Case>;
  infoNce: InfoNceCase;
  infoNceGroups: InfoNceCase;
};

function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

// Float32 against float64: elements within 1e-4 relative, or 1e-4 of the tensor's largest magnitude.
function expectTensorClose(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  expectClose(actual, expected, { rtol: 1e-4, atol: 1e-4 * maxAbs(expected), label });
}

for (const [name, c] of Object.entries(summary.cases)) {
  const file = readSafetensors(join(DIR, `${name}.safetensors`)).tensors;
  const stored = (prefix: string) =>
    new Map([...file].filter(([k]) => k.startsWith(prefix)).map(([k, t]) => [k.slice(prefix.length), t.data]));
  const tokens = Int32Array.from(c.tokens);
  const load = () => {
    const model = Transformer.create(c.config, 0, {
      lr: c.optim.lr,
      beta1: c.optim.beta1,
      beta2: c.optim.beta2,
      eps: c.optim.eps,
      weightDecay: c.optim.weightDecay,
      clipNorm: c.optim.clip,
      l1: c.optim.l1,
      l1Form: 'sum', // make_fixtures.py: λ·Σ|w|
    });
    const params = model.parameters();
    const weights = stored('weights.');
    assert.deepEqual([...weights.keys()].sort(), [...params.keys()].sort(), 'tensor names match the PyTorch module');
    for (const [k, v] of weights) params.get(k)!.set(v);
    return model;
  };

  test(`${name}: logits and loss match PyTorch`, () => {
    const model = load();
    const rows = Int32Array.from({ length: c.B * c.T }, (_, i) => i);
    expectTensorClose(model.logits(tokens, c.B, c.T, rows), file.get('logits')!.data, `${name} logits`);
    expectClose(model.evalLoss(tokens, c.B, c.T).loss, c.loss, { rtol: 1e-5, label: `${name} loss` });
  });

  test(`${name}: mean-pooled embedding over non-pad positions matches PyTorch`, () => {
    const mask = Uint8Array.from(c.tokens, (t) => (t === c.config.padId ? 0 : 1));
    expectTensorClose(load().embed(tokens, mask, c.B, c.T), file.get('embedding')!.data, `${name} embedding`);
  });

  test(`${name}: mean-pooled embedding of each inner layer's output matches PyTorch`, () => {
    const model = load();
    const mask = Uint8Array.from(c.tokens, (t) => (t === c.config.padId ? 0 : 1));
    for (let l = 0; l < c.config.nLayers; l++) {
      const expected = file.get(`embedding.layer${l}`)!.data;
      expectTensorClose(model.embed(tokens, mask, c.B, c.T, l), expected, `${name} layer ${l}`);
    }
    // The last layer is the final hidden state (pre-LN: after the final norm), the default.
    expectClose(model.embed(tokens, mask, c.B, c.T, c.config.nLayers), model.embed(tokens, mask, c.B, c.T), {
      label: `${name} layer L`,
    });
    assert.throws(() => model.embed(tokens, mask, c.B, c.T, c.config.nLayers + 1), /beyond the model's/);
  });

  test(`${name}: every gradient matches PyTorch`, () => {
    const model = load();
    expectClose(model.forwardBackward(tokens, c.B, c.T), c.loss, { rtol: 1e-5, label: `${name} loss` });
    const grads = model.gradients();
    for (const [k, ref] of stored('grads.')) expectTensorClose(grads.get(k)!, ref, `${name} grad ${k}`);
  });

  test(`${name}: gradients of the pooled embedding (the contrastive path) match PyTorch`, () => {
    const model = load();
    const mask = Uint8Array.from(c.tokens, (t) => (t === c.config.padId ? 0 : 1));
    const pooled = model.pooledForward(tokens, mask, c.B, c.T);
    model.pooledBackward(Float32Array.from(pooled, (_, i) => Math.sin(1 + i)));
    const grads = model.gradients();
    for (const [k, ref] of stored('poolGrads.')) expectTensorClose(grads.get(k)!, ref, `${name} pooled grad ${k}`);
  });

  test(`${name}: every ISA path (${native.availableIsas().join(', ')}) gives PyTorch's gradients`, () => {
    for (const isa of native.availableIsas()) {
      withIsa(isa, () => {
        const model = load();
        expectClose(model.forwardBackward(tokens, c.B, c.T), c.loss, { rtol: 1e-5, label: `${name} ${isa} loss` });
        const grads = model.gradients();
        for (const [k, ref] of stored('grads.')) expectTensorClose(grads.get(k)!, ref, `${name} ${isa} grad ${k}`);
      });
    }
  });

  test(`${name}: 3 AdamW steps with clipping${c.optim.l1 ? ' and L1' : ''} match PyTorch`, () => {
    const model = load();
    for (const [i, ref] of c.steps.entries()) {
      const s = model.trainStep(tokens, c.B, c.T, c.optim.lr);
      expectClose(s.loss, ref.loss, { rtol: 1e-4, label: `${name} step ${i} loss` });
      expectClose(s.gradNorm, ref.gradNorm, { rtol: 1e-4, label: `${name} step ${i} grad norm` });
      expectClose(s.l1Penalty, ref.l1Penalty, { rtol: 1e-5, atol: 1e-9, label: `${name} step ${i} L1 penalty` });
    }
    assert.equal(model.step, 3);
    // Adam turns a gradient's sign into a step of size lr whatever its magnitude, so elements with
    // near-zero gradients may differ by a fraction of lr: allow 1% of one step per step taken.
    // The key bias (middle third of in_proj_bias) has an exactly zero gradient (softmax ignores a
    // constant shift of the scores): both sides step on rounding noise there, so it is not compared.
    const params = model.parameters();
    const C = c.config.dModel;
    for (const [k, ref] of stored('after3.')) {
      const keep = (i: number) => !k.endsWith('in_proj_bias') || i < C || i >= 2 * C;
      const pick = (x: ArrayLike<number>) => Array.from(x).filter((_, i) => keep(i));
      expectClose(pick(params.get(k)!), pick(ref), {
        rtol: 1e-4,
        atol: 0.01 * c.optim.lr * c.steps.length,
        label: `${name} after 3 steps ${k}`,
      });
    }
  });
}

for (const key of ['infoNce', 'infoNceGroups'] as const)
  test(`the contrastive head with symmetric InfoNCE matches PyTorch (F.normalize, cross-entropy both ways): ${key}`, () => {
    const f = summary[key];
    const head = new EmbeddingHead(f.C, f.D, f.weight, f.bias);
    const n = 2 * f.pairs;
    const cache = head.forward(f.pooled, n);
    const soft = f.groups ? { groups: f.groups, weight: f.groupWeight! } : undefined;
    const z = cache.z;
    const r = infoNce(z.subarray(0, f.pairs * f.D), z.subarray(f.pairs * f.D), f.pairs, f.D, f.temperature, soft);
    expectClose(r.loss, f.loss, { rtol: 1e-6, label: 'loss' });
    const dz = new Float64Array(n * f.D);
    dz.set(r.dA);
    dz.set(r.dB, f.pairs * f.D);
    const dPooled = head.backward(cache, dz, n);
    expectClose(head.gradWeight, f.dWeight, { rtol: 1e-6, atol: 1e-9, label: 'dW' });
    expectClose(head.gradBias, f.dBias, { rtol: 1e-6, atol: 1e-9, label: 'db' });
    expectClose(dPooled, f.dPooled, { rtol: 1e-6, atol: 1e-9, label: 'dpooled' });
  });
