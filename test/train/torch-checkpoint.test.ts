// A checkpoint written by the PyTorch engine (python/train_torch.py) read by motif the way eval, embed and
// generate read one: the same logits as PyTorch computes in float64 from the stored weights (1e-5), for
// both layouts (post-LN with its own head; pre-LN GELU with the head tied to the embedding), and the
// step and optimizer state a resume needs. Skips visibly without Debian's python3-torch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectClose } from '../helpers/close.js';
import { PYTHON, torchSkip } from '../helpers/torch.js';
import { readSafetensors } from '../../src/model/safetensors.js';
import { resolveCheckpoint } from '../../src/run/checkpoint-choice.js';
import { loadTransformer } from '../../src/train/transformer-model.js';
import { MODEL_FILE } from '../../src/run/layout.js';
import { TORCH_TRAINER } from '../../src/train/torch-engine.js';
import { writeTinyShards } from '../helpers/tiny-shards.js';
import { tempDir } from '../helpers/temp-dir.js';

const base = tempDir('torch-checkpoint');
const shards = writeTinyShards(join(base, 'shards'));
const PYTHON_DIR = join(import.meta.dirname, '..', '..', 'python');

const layouts = {
  'post-ln': {},
  'pre-ln, tied head': { layout: 'pre-ln', activation: 'gelu', tiedHead: true, headBias: false },
};

for (const [label, model] of Object.entries(layouts)) {
  test(`${label}: a PyTorch checkpoint gives PyTorch's logits in motif (1e-5)`, { skip: torchSkip }, () => {
    const run = join(base, label.replace(/\W+/g, '-'));
    const config = join(base, `${label.replace(/\W+/g, '-')}.json`);
    writeFileSync(config, JSON.stringify({ model, train: { steps: 3, threads: 1 } }));
    const trained = spawnSync(
      PYTHON,
      [TORCH_TRAINER, '--data', shards, '--preset', 'tiny', '--config', config, '--out', run],
      { encoding: 'utf8' },
    );
    assert.equal(trained.status, 0, trained.stderr);

    const checkpoint = resolveCheckpoint(run, 'last');
    const B = 3,
      T = 20;
    // Real ids, and rows ending in padding as the trainer's windows do.
    const tokens = Int32Array.from({ length: B * T }, (_, i) =>
      i % T >= T - 4 * ((i / T) | 0) ? 0 : 4 + ((i * 7) % 60),
    );
    const reference = join(base, 'logits.safetensors');
    const script = `
import sys, torch
sys.path.insert(0, ${JSON.stringify(PYTHON_DIR)})
from motif_model import MotifModel, load_safetensors, save_safetensors
import json
tensors, meta = load_safetensors(${JSON.stringify(join(checkpoint, MODEL_FILE))})
model = MotifModel(json.loads(meta["motif.config"]))
model.load_tensors(tensors)
model.double().eval()
tokens = torch.tensor(${JSON.stringify(Array.from(tokens))}).reshape(${B}, ${T})
with torch.no_grad():
    save_safetensors(${JSON.stringify(reference)}, {"logits": model(tokens)})
`;
    const r = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);

    const motif = loadTransformer(checkpoint).transformer;
    assert.equal(motif.step, 3, 'the AdamW step counter comes back');
    assert.equal(motif.trainedSteps, 3);
    const rows = Int32Array.from({ length: B * T }, (_, i) => i);
    expectClose(motif.logits(tokens, B, T, rows), readSafetensors(reference).tensors.get('logits')!.data, {
      rtol: 1e-5,
      atol: 1e-5,
      label: `${label} logits`,
    });
  });
}
