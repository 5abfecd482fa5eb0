// Training with on-the-fly augmentation, end to end on real MIDI files and a real BPE tokenizer: each
// epoch's train pieces are the files re-tokenized with that epoch's draws, validation is untouched,
// the run is deterministic by seed, and an interrupted run resumes onto the same augmented pieces; a
// contrastive run augments its views the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { augmentNotes } from '../../src/data/augment.js';
import { openDataset } from '../../src/data/dataset.js';
import { tokenizeDataset } from '../../src/data/tokenize.js';
import { readTokenizer, writeTokenizer } from '../../src/data/tokenizer-file.js';
import { trainTokenizer } from '../../src/data/train-tokenizer.js';
import { readMidi } from '../../src/midi/read.js';
import { applySustain } from '../../src/midi/sustain.js';
import { augmentedEpochs, epochAugmentations } from '../../src/train/augment-epochs.js';
import { openCorpus } from '../../src/train/corpus.js';
import { readMetrics, type MetricsRecord } from '../../src/run/metrics-log.js';
import { resumeRun, startRun } from '../../src/train/run.js';
import { writeMixedDataset } from '../helpers/mixed-dataset.js';
import { tempDir } from '../helpers/temp-dir.js';

const base = tempDir('augment');
const comparable = (records: MetricsRecord[]): unknown[] =>
  records.map(({ elapsed: _e, tokensPerSec: _t, ...rest }) => rest);
const ranges = { transpose: 5, stretch: 0.1, velocity: 8 };
const augment = {
  augmentTranspose: ranges.transpose,
  augmentStretch: ranges.stretch,
  augmentVelocity: ranges.velocity,
};

/** A folder dataset of 12 random performances (hash-split into train/validation/test), its tokenizer and shards. */
async function corpus(): Promise<{ shards: string; tokenizerPath: string }> {
  const data = join(base, 'data');
  writeMixedDataset(data, 12);
  const dataset = openDataset(data);
  const trained = await trainTokenizer(dataset.items, {
    vocabSize: 300,
    scheme: 'exptime',
    sustain: 'musical',
    workers: 0,
  });
  const tokenizerPath = join(base, 'tokenizer.json');
  writeTokenizer(trained.tokenizer, tokenizerPath);
  const shards = join(base, 'shards');
  await tokenizeDataset(dataset, { tokenizer: tokenizerPath, out: shards, sustain: 'musical', workers: 0 });
  return { shards, tokenizerPath };
}
const made = corpus();

test("an epoch's augmented pieces are the files re-tokenized with that epoch's draws", async () => {
  const { shards, tokenizerPath } = await made;
  const pieces = openCorpus(shards)
    .split('train')
    .map((p) => p.piece);
  assert.ok(pieces.length >= 3);
  const { tokenizer } = readTokenizer(tokenizerPath);
  const epochs = augmentedEpochs(
    pieces,
    { tokenizerJson: readFileSync(tokenizerPath, 'utf8'), sustain: 'musical', instruments: 'piano' },
    ranges,
    9,
    2,
  );
  for (const epoch of [0, 1]) {
    const got = await epochs(epoch);
    const draws = epochAugmentations(pieces.length, ranges, 9, epoch);
    pieces.forEach((p, i) => {
      const notes = applySustain(readMidi(readFileSync(p.path), p.id), { rule: 'musical' });
      assert.deepEqual(
        Array.from(got[i]),
        Array.from(tokenizer.encode(augmentNotes(notes, draws[i]))),
        `${p.id}, epoch ${epoch}`,
      );
    });
  }
  assert.notDeepEqual(Array.from((await epochs(0))[0]), Array.from((await epochs(1))[0]), 'each epoch draws anew');
});

test('augmented training: validation untouched, deterministic by seed, exact resume', async () => {
  const { shards } = await made;
  const args = {
    data: shards,
    preset: 'tiny',
    model: { dropout: 0 },
    train: { epochs: 3, evalInterval: 4, checkpointInterval: 3, seed: 5, ...augment },
  };
  await startRun({
    ...args,
    train: { ...args.train, augmentTranspose: 0, augmentStretch: 0, augmentVelocity: 0 },
    out: join(base, 'plain'),
  });
  const whole = await startRun({ ...args, out: join(base, 'whole') });
  await startRun({ ...args, out: join(base, 'again') });
  assert.equal(whole.result.status, 'finished');
  const records = (run: string): MetricsRecord[] => readMetrics(join(base, run, 'metrics.jsonl'));
  // Same initialisation, unaugmented validation: the step-0 validation is the plain run's to the bit.
  assert.equal(records('whole')[0].valLoss, records('plain')[0].valLoss);
  // The windows are drawn from other tokens, so training differs from the plain run.
  assert.notEqual(records('whole').at(-1)?.trainLoss, records('plain').at(-1)?.trainLoss);
  assert.deepEqual(comparable(records('again')), comparable(records('whole')));
  // Stopped mid-epoch 1 and resumed: the resumed run rebuilds epoch 1's augmented pieces.
  const stepsPerEpoch = whole.result.totalSteps / 3;
  await startRun({ ...args, out: join(base, 'parts') }, { stopAtStep: Math.floor(stepsPerEpoch * 1.5) });
  await resumeRun(join(base, 'parts'));
  assert.deepEqual(comparable(records('parts')), comparable(records('whole')));
});

test('a contrastive run augments its two views with draws of their own; validation untouched, exact resume', async () => {
  const { shards } = await made;
  const lm = join(base, 'lm');
  await startRun({ data: shards, preset: 'tiny', out: lm, train: { epochs: 1, seed: 5 } });
  const run = (out: string, train: Record<string, unknown>, controls?: { stopAtStep: number }) =>
    startRun(
      {
        data: shards,
        preset: 'tiny',
        out: join(base, out),
        contrastive: { init: lm, flags: { minTokens: 8 } },
        train: { epochs: 3, batchSize: 2, seqLen: 32, seed: 5, ...train },
      },
      controls,
    );
  const jitter = { augmentStretch: ranges.stretch, augmentVelocity: ranges.velocity };
  await run('c-plain', {});
  const whole = await run('c-whole', jitter);
  const records = (r: string): MetricsRecord[] => readMetrics(join(base, r, 'metrics.jsonl'));
  assert.equal(records('c-whole')[0].valLoss, records('c-plain')[0].valLoss, 'validation slices are not augmented');
  assert.notEqual(records('c-whole').at(-1)?.trainLoss, records('c-plain').at(-1)?.trainLoss);
  // Stopped mid-epoch 1 and resumed: the resumed run rebuilds epoch 1's two renditions.
  await run('c-parts', jitter, { stopAtStep: Math.floor((whole.result.totalSteps / 3) * 1.5) });
  await resumeRun(join(base, 'c-parts'));
  assert.deepEqual(comparable(records('c-parts')), comparable(records('c-whole')));
});
