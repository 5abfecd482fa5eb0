// safetensors reading and writing, model checkpoints with exact resume, and weights moving both
// ways between motif and python/motif_model.py (the PyTorch part skips, visibly, without torch).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectClose } from '../helpers/close.js';
import { PYTHON, torchSkip } from '../helpers/torch.js';
import { readSafetensors, writeSafetensors, type StoredTensor } from '../../src/model/safetensors.js';
import { Transformer } from '../../src/model/transformer.js';
import { loadPreset } from '../../src/model/config.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('safetensors');
const ROOT = join(import.meta.dirname, '..', '..');
const tiny = loadPreset('tiny').model;

test('round trip keeps names, order, shapes, dtypes, values and metadata; data is 8-byte aligned', () => {
  const tensors = new Map<string, StoredTensor>([
    ['b.odd', { shape: [7], data: Float32Array.from({ length: 7 }, (_, i) => i / 3 - 1) }],
    ['a.matrix', { shape: [3, 33], data: Float32Array.from({ length: 99 }, (_, i) => Math.sin(i) * 1e-30) }],
    ['ids', { shape: [2, 2], data: Int32Array.of(-1, 0, 2 ** 31 - 1, 5) }],
    ['scalar', { shape: [], data: Float32Array.of(Math.PI) }],
  ]);
  const path = join(dir, 'round.safetensors');
  writeSafetensors(path, tensors, { note: 'ünïcode', n: '3' });
  const back = readSafetensors(path);
  assert.deepEqual([...back.tensors.keys()], [...tensors.keys()]);
  for (const [k, t] of tensors) assert.deepEqual(back.tensors.get(k), t, k);
  assert.deepEqual(back.metadata, { note: 'ünïcode', n: '3' });
  const bytes = readFileSync(path);
  assert.equal((8 + Number(bytes.readBigUInt64LE(0))) % 8, 0);
});

test('reads the files python/motif_model.py writes (the committed fixtures)', () => {
  const { tensors, metadata } = readSafetensors(join(ROOT, 'test', 'fixtures', 'model', 'post_ln.safetensors'));
  assert.equal(metadata.case, 'post_ln');
  assert.deepEqual(tensors.get('weights.tok.weight')!.shape, [tiny.vocabSize, tiny.dModel]);
  assert.deepEqual(tensors.get('weights.encoder.layers.1.self_attn.in_proj_weight')!.shape, [
    3 * tiny.dModel,
    tiny.dModel,
  ]);
});

test('bad files are reported by name', () => {
  const path = join(dir, 'bad.safetensors');
  writeFileSync(path, Buffer.from([200, 0, 0, 0, 0, 0, 0, 0, 123]));
  assert.throws(
    () => readSafetensors(path),
    (e: Error) => e.message.includes(path) && /exceeds the file size/.test(e.message),
  );
  const wrong = join(dir, 'wrong.safetensors');
  writeSafetensors(wrong, new Map([['x', { shape: [2], data: Float32Array.of(1, 2) }]]));
  assert.throws(() => Transformer.load(wrong, tiny), /missing tensor 'tok.weight'/);
  assert.throws(() => Transformer.load(wrong), /no motif.config/);
});

test('a checkpoint resumes exactly: same parameters after more steps, dropout included', () => {
  const cfg = { ...tiny, dropout: 0.1 };
  const a = Transformer.create(cfg, 42, { weightDecay: 0.01, l1: 1e-4 });
  const B = 2,
    T = 16;
  const tokens = Int32Array.from({ length: B * T }, (_, i) => 1 + ((i * 7) % 63));
  for (let i = 0; i < 2; i++) a.trainStep(tokens, B, T, 1e-3);
  const path = join(dir, 'ckpt.safetensors');
  a.save(path);
  const b = Transformer.load(path);
  assert.equal(b.step, 2);
  assert.deepEqual(b.config, a.config);
  assert.deepEqual(b.optim, a.optim);
  for (let i = 0; i < 2; i++) assert.equal(b.trainStep(tokens, B, T, 1e-3).loss, a.trainStep(tokens, B, T, 1e-3).loss);
  for (const [k, w] of a.parameters()) assert.deepEqual(b.parameters().get(k), w, k);
  a.save(path, { optimizer: false });
  assert.equal(Transformer.load(path).step, 0, 'weights alone restart AdamW');
  assert.equal(Transformer.load(path).trainedSteps, 4, 'but remember how long they trained');
  assert.ok(![...readSafetensors(path).tensors.keys()].some((k) => k.startsWith('optimizer.')));
});

test('weights move both ways with PyTorch (python/motif_model.py)', { skip: torchSkip }, () => {
  for (const layout of [
    { layout: 'post-ln' as const },
    { layout: 'pre-ln' as const, activation: 'gelu' as const, tiedHead: true, headBias: false },
  ]) {
    const cfg = { ...tiny, ...layout };
    const motif = Transformer.create(cfg, 9);
    const B = 2,
      T = 10;
    const tokens = Int32Array.from({ length: B * T }, (_, i) => 1 + ((i * 13) % 63));
    const fromMotif = join(dir, 'motif.safetensors'),
      fromTorch = join(dir, 'torch.safetensors'),
      out = join(dir, 'out.safetensors');
    motif.save(fromMotif, { optimizer: false });
    // PyTorch loads motif's weights and computes logits; it also writes its own fresh weights.
    const script = `
import sys, json, torch
sys.path.insert(0, ${JSON.stringify(join(ROOT, 'python'))})
from motif_model import MotifModel, load_safetensors, save_safetensors
cfg = json.loads(${JSON.stringify(JSON.stringify(cfg))})
m = MotifModel(cfg).eval()
m.load_tensors(load_safetensors(${JSON.stringify(fromMotif)})[0])
tokens = torch.tensor(${JSON.stringify(Array.from(tokens))}).reshape(${B}, ${T})
with torch.no_grad():
    save_safetensors(${JSON.stringify(out)}, {"logits": m(tokens)})
torch.manual_seed(1)
save_safetensors(${JSON.stringify(fromTorch)}, MotifModel(cfg).tensors())
with torch.no_grad():
    fresh = MotifModel(cfg)
    fresh.load_tensors(load_safetensors(${JSON.stringify(fromTorch)})[0])
    save_safetensors(${JSON.stringify(out + '.fresh')}, {"logits": fresh.eval()(tokens)})
`;
    const r = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const rows = Int32Array.from({ length: B * T }, (_, i) => i);
    const torchLogits = readSafetensors(out).tensors.get('logits')!.data;
    expectClose(motif.logits(tokens, B, T, rows), torchLogits, {
      rtol: 1e-4,
      atol: 1e-4,
      label: `${cfg.layout} motif weights in PyTorch`,
    });
    const loaded = Transformer.load(fromTorch, cfg);
    const freshLogits = readSafetensors(out + '.fresh').tensors.get('logits')!.data;
    expectClose(loaded.logits(tokens, B, T, rows), freshLogits, {
      rtol: 1e-4,
      atol: 1e-4,
      label: `${cfg.layout} PyTorch weights in motif`,
    });
  }
});
