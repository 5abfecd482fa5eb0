import { test } from 'node:test';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { curvePoints } from '../../src/report/curves.js';
import { writeRunReport } from '../../src/report/run-report.js';
import { readMetrics } from '../../src/run/metrics-log.js';
import { resolveTrainOptions } from '../../src/run/train-options.js';
import { createRunDir } from '../../src/run/config.js';
import { train } from '../../src/train/trainer.js';
import { bigramSource } from '../helpers/bigram-model.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Number of drawn point symbols in a Vega SVG (the line mark's point layer). */
function symbolCount(svg: string): number {
  const start = svg.indexOf('layer_1_marks');
  assert.ok(start > 0, 'no point layer in the SVG');
  const group = svg.slice(start, svg.indexOf('</g>', start));
  return (group.match(/<path/g) ?? []).length;
}

test('the report draws every train and validation point and tabulates every epoch, self-contained', async () => {
  const base = tempDir('report');
  const data = join(base, 'shards');
  writeFileSync(join(base, 'tok.json'), '{"fake":true}');
  const run = join(base, 'run');
  const options = resolveTrainOptions({ batchSize: 2, seqLen: 6, epochs: 4, evalInterval: 3, snapshotEpochs: [] });
  createRunDir(run, {
    data,
    preset: 'fake',
    model: { V: 8 },
    train: options,
    tokenizer: { path: join(base, 'tok.json'), sha256: createHash('sha256').update('{"fake":true}').digest('hex') },
  });
  const pieces = [Int32Array.of(3, 4, 5, 6, 7, 3, 4), Int32Array.of(5, 6, 7, 3, 4, 5, 6, 7, 3)];
  await train({
    runDir: run,
    options,
    data: { train: pieces, validation: pieces.slice(1), framing: { padId: 0, bosId: 1, eosId: 2 } },
    models: bigramSource(8, 0),
    schedule: () => 0.3,
  });
  const records = readMetrics(join(run, 'metrics.jsonl'));
  const html = readFileSync(await writeRunReport(run), 'utf8');

  const loss = readFileSync(join(run, 'loss.svg'), 'utf8');
  const ppl = readFileSync(join(run, 'perplexity.svg'), 'utf8');
  const epochs = records.filter((r) => r.kind === 'epoch');
  const trainPoints = records.filter((r) => r.trainLoss !== undefined).length;
  const valPoints = records.filter((r) => r.valLoss !== undefined).length;
  assert.ok(
    trainPoints > epochs.filter((r) => r.trainLoss !== undefined).length,
    'step records add train points (interval means)',
  );
  assert.ok(valPoints > 5, 'step records add validation points');
  assert.equal(symbolCount(loss), trainPoints + valPoints);
  assert.equal(symbolCount(ppl), curvePoints(records, 'perplexity').length);
  assert.equal(readFileSync(join(run, 'tokenizer.json'), 'utf8'), '{"fake":true}');

  assert.equal((html.match(/<svg/g) ?? []).length, 2);
  assert.ok(!/<script|<link|src=|@import/i.test(html), 'the report must not load anything');
  // One table row per epoch record (plus the header and the settings table).
  const perEpoch = html.slice(html.indexOf('<table id="epochs">'), html.indexOf('<h2>Settings</h2>'));
  assert.equal((perEpoch.match(/<tr>/g) ?? []).length, epochs.length + 1);
  assert.ok(perEpoch.includes(epochs[epochs.length - 1].valLoss!.toFixed(4)));
});

test('a diverged run (perplexity overflowed to null in JSON) still gets its report and evaluation table', async () => {
  const base = tempDir('report');
  writeFileSync(join(base, 'tok.json'), '{"fake":true}');
  const run = join(base, 'run');
  const options = resolveTrainOptions({ batchSize: 2, seqLen: 6, epochs: 1, snapshotEpochs: [] });
  createRunDir(run, {
    data: join(base, 'shards'),
    preset: 'fake',
    model: { V: 8 },
    train: options,
    tokenizer: { path: join(base, 'tok.json'), sha256: createHash('sha256').update('{"fake":true}').digest('hex') },
  });
  // What such a run writes: Infinity becomes null through JSON.stringify.
  writeFileSync(
    join(run, 'metrics.jsonl'),
    [
      { kind: 'epoch', step: 0, epoch: 0, valLoss: 2.1, valPerplexity: Math.exp(2.1), elapsed: 1 },
      {
        kind: 'epoch',
        step: 9,
        epoch: 1,
        trainLoss: 800,
        trainPerplexity: Infinity,
        valLoss: 900,
        valPerplexity: Infinity,
        lr: 1000,
        elapsed: 2,
      },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n') + '\n',
  );
  writeFileSync(
    join(run, 'eval-test.json'),
    JSON.stringify({
      split: 'test',
      checkpoint: 'c',
      step: 9,
      loss: 900,
      perplexity: Infinity,
      bitsPerNote: 5000,
      targets: 10,
      notes: 3,
      pieces: 1,
    }),
  );
  const html = readFileSync(await writeRunReport(run), 'utf8');
  assert.ok(html.includes('<td>∞</td>'), 'the overflowed perplexity shows as ∞');
  assert.ok(html.includes('<td>900</td>'));
  assert.equal(
    symbolCount(readFileSync(join(run, 'perplexity.svg'), 'utf8')),
    1,
    'only the finite perplexity is plotted',
  );
});
