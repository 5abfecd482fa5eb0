// The trainer with the contrastive objective: records carry the InfoNCE validation loss and top-1 (no
// perplexity), the loss falls, and an interrupted run resumed from its checkpoint ends exactly where an
// uninterrupted one does (same records, same weights of model and head).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadPreset } from '../../src/model/config.js';
import { EmbeddingHead } from '../../src/model/embedding-head.js';
import { Transformer } from '../../src/model/transformer.js';
import { contrastiveObjective } from '../../src/train/contrastive.js';
import { ContrastiveModel } from '../../src/train/contrastive-model.js';
import { HEAD_FILE } from '../../src/run/layout.js';
import { readMetrics, type MetricsRecord } from '../../src/run/metrics-log.js';
import { optimizerConfig, resolveTrainOptions } from '../../src/run/train-options.js';
import { Rng } from '../../src/util/rng.js';
import { CheckpointStore } from '../../src/run/checkpoints.js';
import type { SlicePiece } from '../../src/train/slice-pairs.js';
import { train } from '../../src/train/trainer.js';
import { tempDir } from '../helpers/temp-dir.js';

const root = tempDir('contrastive-run');
const framing = { padId: 0, bosId: 1, eosId: 2 };
const config = {
  ...loadPreset('tiny').model,
  vocabSize: 64,
  maxLen: 64,
  dropout: 0.1,
  layout: 'pre-ln' as const,
  activation: 'gelu' as const,
};
function pieces(n: number, seed: number): SlicePiece[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, p) => ({
    ids: Int32Array.from({ length: 50 }, () => 3 + ((p * 5 + rng.nextInt(8)) % 61)),
    work: `w${p}`,
  }));
}
const [trainPieces, validationPieces] = [pieces(16, 1), pieces(8, 2)];
const options = resolveTrainOptions({
  batchSize: 8,
  seqLen: 32,
  epochs: 6,
  lr: 3e-3,
  weightDecay: 0,
  checkpointInterval: 4,
  evalInterval: 0,
  snapshotEpochs: [],
});
const objective = () =>
  contrastiveObjective(trainPieces, validationPieces, framing, {
    pairs: 8,
    minTokens: 12,
    maxTokens: 32,
    seed: 3,
    validationBatches: 2,
    sampling: { positives: 'work' },
  });
const models = {
  create: () => {
    const rng = new Rng(9);
    return new ContrastiveModel(
      Transformer.create(config, 4, optimizerConfig(options)),
      EmbeddingHead.create(config.dModel, 16, () => rng.nextFloat()),
      { temperature: 0.1, clipNorm: 1 },
    );
  },
  load: (dir: string) => ContrastiveModel.load(dir),
};
const schedule = (step: number, total: number) => 3e-3 * (1 - step / total);
const comparable = (records: MetricsRecord[]) => records.map(({ elapsed: _e, tokensPerSec: _t, ...rest }) => rest);

test('a contrastive run records InfoNCE validation with top-1, learns, and resumes exactly', async () => {
  const whole = join(root, 'whole');
  mkdirSync(whole);
  const result = await train({ runDir: whole, options, objective: objective(), models, schedule });
  assert.equal(result.status, 'finished');
  const records = readMetrics(join(whole, 'metrics.jsonl'));
  const epochs = records.filter((r) => r.kind === 'epoch');
  assert.equal(epochs.length, 7);
  for (const r of epochs)
    assert.ok(r.valTop1 !== undefined && r.valPerplexity === undefined && r.trainPerplexity === undefined);
  assert.ok(
    epochs.at(-1)!.valLoss! < 0.5 * epochs[0].valLoss!,
    `validation ${epochs[0].valLoss} → ${epochs.at(-1)!.valLoss}`,
  );

  const parts = join(root, 'parts');
  mkdirSync(parts);
  const first = await train({ runDir: parts, options, objective: objective(), models, schedule, stopAtStep: 5 });
  assert.equal(first.status, 'stopped');
  await train({ runDir: parts, options, objective: objective(), models, schedule, resume: true });
  assert.deepEqual(comparable(readMetrics(join(parts, 'metrics.jsonl'))), comparable(records));
  const last = (run: string) => new CheckpointStore(run).latest()!;
  assert.deepEqual(readFileSync(join(last(parts), HEAD_FILE)), readFileSync(join(last(whole), HEAD_FILE)));
  assert.deepEqual(
    readFileSync(join(last(parts), 'model.safetensors')),
    readFileSync(join(last(whole), 'model.safetensors')),
  );
});
