// `motif eval` beyond the run's own test split: every piece of a dataset without splits (`--split all`),
// n-gram bars fitted on the run's training shards (and said to be missing when those are gone), shards
// of another tokenizer refused, and an exported model folder never written to (nor resumed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ShardWriter } from '../../src/data/shards.js';
import { openCorpus } from '../../src/train/corpus.js';
import { bitsPerNote } from '../../src/train/perplexity.js';
import { exportModel } from '../../src/train/export.js';
import { ngramBaselines } from '../../src/train/ngram-baseline.js';
import { evaluateRun, resumeRun, startRun } from '../../src/train/run.js';
import { resolveCheckpoint } from '../../src/run/checkpoint-choice.js';
import { Rng } from '../../src/util/rng.js';
import { writeTinyShards } from '../helpers/tiny-shards.js';
import { tempDir } from '../helpers/temp-dir.js';

const base = tempDir('eval-data');
const shards = writeTinyShards(join(base, 'shards'));

/** Shards of pieces with no split (a plain folder of recordings), under the tiny shards' tokenizer unless `tokText` differs. */
function recordings(dir: string, count: number, tokText = '{"tiny": "test tokenizer"}\n'): string {
  const tokPath = join(base, `${count}-tok.json`);
  writeFileSync(tokPath, tokText);
  const writer = new ShardWriter(dir, {
    dtype: 'uint16',
    vocabSize: 64,
    tokenizer: { path: tokPath, sha256: createHash('sha256').update(tokText).digest('hex') },
    specialIds: { pad: 0, bos: 1, eos: 2, mask: 3 },
    dataset: { root: dir, layout: 'folder' },
  });
  const r = new Rng(11);
  for (let i = 0; i < count; i++)
    writer.add(
      { id: `mine/${i}.mid`, path: join(dir, `${i}.mid`), kind: 'performance' },
      Int32Array.from({ length: 5 + r.nextInt(20) }, () => 4 + r.nextInt(60)),
      3 + i,
    );
  writer.finish();
  return dir;
}

test("eval --split all scores every piece of split-less shards, with bars from the run's own train split", async () => {
  const run = join(base, 'run');
  await startRun({ data: shards, preset: 'tiny', out: run, train: { epochs: 1 } });
  const mine = recordings(join(base, 'mine'), 20);
  const before = readdirSync(run).sort();
  const r = await evaluateRun(run, 'all', 'best', mine);
  assert.equal(r.pieces, 20, 'all twenty pieces, not a hashed 80/10/10 share of them');
  const all = openCorpus(mine).split('all');
  assert.equal(
    r.notes,
    all.reduce((n, p) => n + p.piece.notes, 0),
  );
  // The bars: counts of the run's train split (not of the recordings), scored on the recordings.
  const expected = ngramBaselines(
    openCorpus(shards)
      .split('train')
      .map((p) => p.ids),
    all.map((p) => p.ids),
    openCorpus(mine).framing,
    64,
  );
  assert.ok(Math.abs(r.baselines!.bigram.bitsPerNote - bitsPerNote(expected.bigram.lossSum, r.notes)) < 1e-9);
  assert.equal(r.written, null, "other data does not overwrite the run's own record");
  assert.deepEqual(readdirSync(run).sort(), before);

  // The run's training shards gone: the model is still scored, the bars are missing and eval says why.
  renameSync(shards, `${shards}-moved`);
  try {
    const alone = await evaluateRun(run, 'all', 'best', mine);
    assert.equal(alone.loss, r.loss);
    assert.equal(alone.baselines, undefined);
    assert.match(alone.baselineNote ?? '', /training shards .* not at hand/);
  } finally {
    renameSync(`${shards}-moved`, shards);
  }

  // On its own shards, all = train + validation + test, and the result is recorded in the run.
  const own = await evaluateRun(run, 'all');
  assert.equal(own.pieces, openCorpus(shards).index.pieces.length);
  assert.equal(own.written, join(run, 'eval-all.json'));

  await assert.rejects(
    evaluateRun(run, 'all', 'best', recordings(join(base, 'other-tok'), 4, '{"another": "tokenizer"}\n')),
    /another tokenizer/,
  );
});

test('evaluating an exported model folder leaves every file of it as it was', async () => {
  const run = join(base, 'run-export');
  await startRun({ data: shards, preset: 'tiny', out: run, train: { epochs: 1 } });
  const out = join(base, 'export');
  exportModel(run, resolveCheckpoint(run, 'best'), out);
  const digest = (): Record<string, string> =>
    Object.fromEntries(
      readdirSync(out)
        .sort()
        .map((n) => [
          n,
          createHash('sha256')
            .update(readFileSync(join(out, n)))
            .digest('hex'),
        ]),
    );
  const before = digest();
  const r = await evaluateRun(out, 'test');
  assert.ok(r.loss > 0 && r.baselines !== undefined);
  assert.equal(r.written, null);
  // Nor is an export resumed (it would train from step 0 inside it and shadow its weights).
  await assert.rejects(resumeRun(out), /is an exported model \(read-only\), not a training run/);
  assert.deepEqual(digest(), before);
  assert.ok(!existsSync(join(out, 'checkpoints')) && !existsSync(join(out, 'report.html')));
});
