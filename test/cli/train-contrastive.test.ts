// `motif train --objective contrastive --init <run>` end to end on the tiny preset: the run starts from the
// language model's weights (not a fresh init), records its objective with paths relative to itself, reports
// InfoNCE validation with top-1, resumes exactly, and refuses what does not belong to it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolvePrecision } from '../../src/model/machine-precision.js';
import { Transformer } from '../../src/model/transformer.js';
import { CheckpointStore, listSnapshots } from '../../src/run/checkpoints.js';
import { MODEL_FILE } from '../../src/run/layout.js';
import { ContrastiveModel } from '../../src/train/contrastive-model.js';
import { readMetrics, type MetricsRecord } from '../../src/run/metrics-log.js';
import { motif } from '../helpers/cli.js';
import { writeTinyShards } from '../helpers/tiny-shards.js';
import { tempDir } from '../helpers/temp-dir.js';

const base = tempDir('contrastive-cli');
const shards = writeTinyShards(join(base, 'shards'));
const comparable = (records: MetricsRecord[]) => records.map(({ elapsed: _e, tokensPerSec: _t, ...rest }) => rest);

test('a contrastive run fine-tunes a language model and resumes exactly', async () => {
  const lm = join(base, 'lm');
  // fp32 for the language model, so that a contrastive run inheriting its precision would show below.
  await motif(
    'train',
    ...['--data', shards, '--preset', 'tiny', '--out', lm, '--epochs', '2', '--snapshots', '', '--precision', 'fp32'],
    '--json',
  );
  const flags = [
    '--objective',
    'contrastive',
    '--init',
    lm,
    '--epochs',
    '3',
    '--batch',
    '4',
    '--seq',
    '24',
    '--slice-min',
    '6',
    '--embed-dim',
    '8',
    '--composer-weight',
    '0.5',
    '--json',
  ];
  const whole = join(base, 'whole');
  const outcome = JSON.parse((await motif('train', ...flags, '--out', whole)).out) as { status: string };
  assert.equal(outcome.status, 'finished');

  const config = JSON.parse(readFileSync(join(whole, 'config.json'), 'utf8')) as {
    preset: string;
    objective: {
      kind: string;
      init: string;
      initCheckpoint: string;
      embedDim: number;
      minTokens: number;
      composerWeight: number;
    };
    train: { lr: number; batchSize: number; precision: string };
  };
  assert.deepEqual(
    [
      config.preset,
      config.objective.kind,
      config.objective.init,
      config.objective.embedDim,
      config.objective.minTokens,
      config.objective.composerWeight,
    ],
    ['contrastive', 'contrastive', '../lm', 8, 6, 0.5],
  );
  assert.match(config.objective.initCheckpoint, /^\.\.\/lm\/checkpoints\/step-\d+$/);
  assert.deepEqual([config.train.lr, config.train.batchSize], [1e-4, 4], 'fine-tuning defaults, then flags');
  // The precision is the machine's (auto, resolved), not the language model's run's, which recorded its own.
  assert.equal(config.train.precision, resolvePrecision('auto'));

  const records = readMetrics(join(whole, 'metrics.jsonl'));
  const epochs = records.filter((r) => r.kind === 'epoch');
  assert.equal(epochs.length, 4);
  assert.ok(epochs.every((r) => r.valTop1! >= 0 && r.valTop1! <= 1 && r.valPerplexity === undefined));

  // Step 0 is the language model's weights, untouched: its checkpoint holds exactly the init weights.
  const init = Transformer.load(
    join(lm, config.objective.initCheckpoint.replace('../lm/', ''), MODEL_FILE),
  ).parameters();
  const first = ContrastiveModel.load(new CheckpointStore(whole).path(0)).transformer.parameters();
  for (const [name, w] of init) assert.deepEqual(first.get(name), w, name);

  // Snapshots before and after by default, each an embedding model with its head (maps over training).
  assert.deepEqual(
    listSnapshots(whole).map((s) => s.epoch),
    [0, 3],
  );
  for (const s of listSnapshots(whole)) {
    const model = ContrastiveModel.load(s.dir);
    assert.equal(model.head.weight.length, 8 * 32, `${s.dir}: its embedding head`);
    assert.equal(model.settings.composerWeight, 0.5, `${s.dir}: its objective's settings`);
  }

  const parts = join(base, 'parts');
  await motif('train', ...flags, '--out', parts, '--max-steps', '2');
  await motif('train', '--resume', parts, '--json');
  assert.deepEqual(comparable(readMetrics(join(parts, 'metrics.jsonl'))), comparable(records));

  const stray = await motif('train', '--data', shards, '--out', join(base, 'x'), '--init', lm);
  assert.equal(stray.code, 1);
  assert.match(stray.err, /--init is a setting of the contrastive objective; add --objective contrastive/);
  const strayWeight = await motif('train', '--data', shards, '--out', join(base, 'x'), '--composer-weight', '1');
  assert.equal(strayWeight.code, 1);
  assert.match(strayWeight.err, /--composer-weight is a setting of the contrastive objective/);
  const badWeight = await motif('train', ...flags, '--composer-weight', '1.5', '--out', join(base, 'w'));
  assert.equal(badWeight.code, 1);
  assert.match(badWeight.err, /composer weight must be in \[0, 1\], got 1\.5/);
  const noInit = await motif('train', '--objective', 'contrastive', '--out', join(base, 'y'));
  assert.equal(noInit.code, 1);
  assert.match(noInit.err, /needs --init/);
});
