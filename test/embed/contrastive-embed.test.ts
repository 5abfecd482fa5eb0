// Embeddings of a contrastive model: with a head in the checkpoint, embed stores the head's unit vectors
// (a piece: the mean of its windows' embeddings) and records it; --pooling mean keeps the paper's vector;
// evaluate reports the head's embedding as learned and the same model's mean pooling as learned_mean.
// --layer mean-pools an inner layer's output instead: recorded in the store, used again for its queries.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openDataset } from '../../src/data/dataset.js';
import { embedDataset } from '../../src/embed/embed-dataset.js';
import { evaluateEmbeddings } from '../../src/embed/evaluate-embeddings.js';
import { embedSequences, frame } from '../../src/embed/extract.js';
import { embedMidiFile, loadStoreModel, storeRun } from '../../src/embed/store-run.js';
import { loadRunModel } from '../../src/run/run-model.js';
import { openStore } from '../../src/embed/store.js';
import { EmbeddingHead } from '../../src/model/embedding-head.js';
import { writeSafetensors } from '../../src/model/safetensors.js';
import { HEAD_FILE } from '../../src/run/layout.js';
import { resolveCheckpoint } from '../../src/run/checkpoint-choice.js';
import { exportModel } from '../../src/train/export.js';
import { Rng } from '../../src/util/rng.js';
import { expectClose } from '../helpers/close.js';
import { readNotes, writeLabelledDataset, writeTinyRun } from '../helpers/labelled-dataset.js';
import { tempDir } from '../helpers/temp-dir.js';

const root = tempDir('contrastive-embed');
const data = join(root, 'asap');
const ids = writeLabelledDataset(data);
const runDir = join(root, 'run');
const { config } = writeTinyRun(data, ids, runDir);
// Epoch 2's snapshot becomes a contrastive model: the same transformer with a head beside it.
const rng = new Rng(4);
const head = EmbeddingHead.create(config.dModel, 12, () => rng.nextFloat());
writeSafetensors(join(runDir, 'snapshots', 'epoch-0002', HEAD_FILE), head.tensors(false), {
  'motif.settings': JSON.stringify({ temperature: 0.1, clipNorm: 1 }),
});
const items = openDataset(data).items.filter((i) => ids.includes(i.id));

test('embed uses the head where the checkpoint has one; mean pooling on request', async () => {
  const run = loadRunModel(runDir, 'epoch-2');
  assert.equal(run.embedding, 'contrastive');
  const store = join(root, 'contrastive');
  await embedDataset(run, items, { out: store, workers: 0 });
  const opened = await openStore(store);
  assert.deepEqual([opened.info.dim, opened.info.source.embedding], [12, 'contrastive']);
  // By hand: every window's pooled state through the head, averaged with the windows' weights.
  const id = ids[0];
  const seq = frame(run.tokenizer.encode(readNotes(join(data, id))), run.tokenizer);
  const byHand = embedSequences(run.model, [seq], { window: run.window, batch: run.batch, head });
  expectClose((await opened.get(id))!.vector, byHand[0], { rtol: 1e-5, atol: 1e-6, label: id });
  assert.ok(seq.length > run.window, 'the piece spans several windows');

  const mean = loadRunModel(runDir, 'epoch-2', 'mean');
  assert.equal(mean.embedding, 'mean');
  assert.equal(mean.head, undefined);
  assert.throws(
    () => loadRunModel(runDir, 'epoch-1', 'contrastive'),
    /no embedding head.*motif train --objective contrastive/,
  );

  const report = await evaluateEmbeddings(opened, run, openDataset(data).items, { workers: 0 });
  const meanStore = join(root, 'mean');
  await embedDataset(mean, items, { out: meanStore, workers: 0 });
  const meanReport = await evaluateEmbeddings(await openStore(meanStore), mean, openDataset(data).items, {
    workers: 0,
  });
  assert.deepEqual(report.learned_mean, meanReport.learned, 'learned_mean is the same model mean-pooled');
  assert.notDeepEqual(report.learned, report.learned_mean);
  assert.equal(meanReport.learned_mean, undefined);
});

test('an exported contrastive model carries its head and embeds exactly like the checkpoint', () => {
  const out = join(root, 'exported');
  const result = exportModel(runDir, resolveCheckpoint(runDir, 'epoch-2'), out);
  assert.ok(readdirSync(out).includes(HEAD_FILE) && result.files.includes(HEAD_FILE));
  const [fromRun, fromExport] = [loadRunModel(runDir, 'epoch-2'), loadRunModel(out)];
  assert.equal(fromExport.embedding, 'contrastive');
  assert.equal(fromExport.fingerprint, fromRun.fingerprint, 'same transformer and head weights');
});

test("a layer is mean pooling of that block's output: the store records it and queries are embedded the same way", async () => {
  const run = loadRunModel(runDir, 'epoch-2', 'auto', 'fp32', 1);
  assert.deepEqual([run.embedding, run.head, run.layer], ['mean', undefined, 1], 'a layer implies mean pooling');
  const store = join(root, 'layer-1');
  await embedDataset(run, items.slice(0, 3), { out: store, workers: 0 });
  const opened = await openStore(store);
  assert.equal(opened.info.source.layer, 1);
  const id = ids[0];
  const seq = frame(run.tokenizer.encode(readNotes(join(data, id))), run.tokenizer);
  const byHand = embedSequences(run.model, [seq], { window: run.window, batch: run.batch, layer: 1 });
  const last = embedSequences(run.model, [seq], { window: run.window, batch: run.batch });
  expectClose((await opened.get(id))!.vector, byHand[0], { rtol: 1e-5, atol: 1e-6, label: id });
  assert.notDeepEqual(byHand[0], last[0], 'layer 1 is not the last hidden state');
  // A query from outside the store (motif similar, uploads) is pooled at the store's layer.
  const queries = loadStoreModel(store, opened.info.source, storeRun(opened.info.source));
  expectClose(embedMidiFile(queries, join(data, id)), byHand[0], { rtol: 1e-5, atol: 1e-6, label: 'query' });

  assert.throws(() => loadRunModel(runDir, 'epoch-2', 'contrastive', 'fp32', 1), /layer applies to mean pooling/);
  assert.throws(() => loadRunModel(runDir, 'epoch-2', 'mean', 'fp32', config.nLayers + 1), /layer 3 is not one of/);
  assert.equal(
    loadRunModel(runDir, 'epoch-2', 'mean', 'fp32', config.nLayers).layer,
    undefined,
    'the last layer is the default',
  );
});
