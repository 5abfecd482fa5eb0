// `motif embed`, `motif similar` and `motif evaluate` end to end through the in-process CLI runner, on a small labelled
// dataset and a tiny run: stored vectors against embedding each file by hand, neighbours against cosine
// distances computed here, and the evaluation against the metrics applied by hand to the same vectors.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { test } from 'node:test';
import { handcraftedVector } from '../../src/analysis/handcrafted.js';
import { sliceNotes } from '../../src/analysis/excerpt.js';
import {
  accuracy,
  bestPartRetrieval,
  cosine,
  knnPredict,
  majorityAccuracy,
  retrieval,
} from '../../src/analysis/metrics.js';
import { prepareItems, splitPrepared } from '../../src/embed/prepare.js';
import { fitStandardizer, standardize } from '../../src/analysis/standardize.js';
import { openDataset } from '../../src/data/dataset.js';
import { embedDataset } from '../../src/embed/embed-dataset.js';
import type { EvaluationReport } from '../../src/embed/evaluate-embeddings.js';
import { METHODS } from '../../src/embed/methods.js';
import { embedSequences, frame, windowPlan } from '../../src/embed/extract.js';
import { loadRunModel } from '../../src/run/run-model.js';
import { MODEL_FILE } from '../../src/run/layout.js';
import { openStore } from '../../src/embed/store.js';
import { writeMidi } from '../../src/midi/write.js';
import { Transformer } from '../../src/model/transformer.js';
import { randomNotes } from '../helpers/mixed-dataset.js';
import { motif } from '../helpers/cli.js';
import { rankByBestWindow } from '../helpers/best-window.js';
import { expectClose } from '../helpers/close.js';
import { BAD_ID, readNotes, writeLabelledDataset, writeTinyRun } from '../helpers/labelled-dataset.js';
import { tempDir } from '../helpers/temp-dir.js';

const root = tempDir('embed-cli');
const data = join(root, 'asap');
const ids = writeLabelledDataset(data);
const runDir = join(root, 'run');
const { tokenizer } = writeTinyRun(data, ids, runDir);
const snapshot = (epoch: number): Transformer =>
  Transformer.load(join(runDir, 'snapshots', `epoch-000${epoch}`, MODEL_FILE));
/** A file (or framed ids) embedded on its own, as the run reads it (its training window 48). */
const byHand = (model: Transformer, file: string | Int32Array): Float32Array =>
  embedSequences(model, [typeof file === 'string' ? frame(tokenizer.encode(readNotes(file)), tokenizer) : file], {
    window: 48,
  })[0];

/** `motif embed` of the labelled dataset with the run's epoch-1 snapshot into `out`. */
const embedEpoch1 = (out: string): string[] => [
  'embed',
  '--run',
  runDir,
  '--checkpoint',
  'epoch-1',
  '--data',
  data,
  '--out',
  out,
];

const METRIC_KEYS = [
  'excerpt_mrr',
  'excerpt_recall_at_1',
  'excerpt_window_mrr',
  'excerpt_window_recall_at_1',
  'composer_knn_acc',
  'composer_knn_seen_acc',
  'composer_probe_acc',
  'composer_macro_f1',
  'full_mrr',
  'form_knn_acc',
  'mode_knn_acc',
];

test('embed → similar → evaluate', async (t) => {
  const store1 = join(root, 'store1');
  await t.test('motif embed stores every good file with its metadata and names the bad one', async () => {
    const r = await motif(...embedEpoch1(store1), '--json');
    assert.equal(r.code, 2, r.err);
    assert.ok(r.err.includes(BAD_ID), 'stderr names the bad file');
    const summary = JSON.parse(r.out) as { pieces: number; failed: number; compute: { precision: string } };
    assert.deepEqual([summary.pieces, summary.failed], [ids.length, 1]);
    assert.equal(summary.compute.precision, 'fp32', "embed's default precision, so that byHand's fp32 vectors match");
    const store = await openStore(store1);
    const rows = await store.all();
    assert.deepEqual(rows.map((row) => row.id).sort(), [...ids].sort());
    const model = snapshot(1);
    for (const row of rows) {
      expectClose(row.vector, byHand(model, join(data, row.id)), { rtol: 1e-4, atol: 1e-5, label: row.id });
      assert.equal(
        row.split,
        row.id.includes('Prelude') || row.id.includes('Ballade') || row.id.includes('Etude') ? 'train' : 'test',
      );
    }
    // Each piece's windows, as the run cuts them (48 tokens, half overlapping), each embedded alone, with where it starts.
    const prelude = rows.find((row) => row.id.startsWith('Bach/Prelude'))!;
    const framed = frame(tokenizer.encode(readNotes(join(data, prelude.id))), tokenizer);
    const plan = windowPlan(framed.length, 48);
    assert.ok(plan.length > 2, 'the test piece spans several windows');
    const windows = await store.windows([prelude.id]);
    assert.deepEqual(
      windows.map((w) => [w.start, w.end]),
      plan.map((w) => [w.start, w.end]),
    );
    const seconds = tokenizer.elapsed(framed);
    windows.forEach((w) => {
      expectClose(w.vector, byHand(model, framed.subarray(w.start, w.end)), {
        rtol: 1e-4,
        atol: 1e-5,
        label: 'window',
      });
      assert.equal(w.seconds, seconds[w.start]);
    });
    assert.equal(store.info.windows, (await store.windows()).length);
    assert.deepEqual(
      [prelude.composer, prelude.piece, prelude.form, prelude.key, prelude.keySource],
      ['Bach', 'Bach/Prelude_1', 'prelude', 'C major', 'title'],
    );
    assert.equal(prelude.notes, readNotes(join(data, prelude.id)).length);
    const again = await motif(...embedEpoch1(store1));
    assert.equal(again.code, 1);
    assert.match(again.err, /already exists/);
  });

  await t.test('motif embed --layer pools an inner block, says so, and refuses a layer the model lacks', async () => {
    const out = join(root, 'store-layer');
    const args = embedEpoch1(out);
    const r = await motif(...args, '--layer', '1');
    assert.equal(r.code, 2, r.err);
    assert.match(r.out, /vectors \(block 1's mean-pooled\)/);
    assert.equal((await openStore(out)).info.source.layer, 1);
    const evaluated = await motif('evaluate', '--store', out, '--data', data, '--methods', 'learned,random_init');
    assert.equal(evaluated.code, 2, evaluated.err);
    assert.match(evaluated.out, /learned and random_init pool block 1's output/);
    const json = await motif('evaluate', '--store', out, '--data', data, '--methods', 'learned', '--json');
    assert.equal((JSON.parse(json.out) as EvaluationReport).layer, 1);
    const tooDeep = await motif(...args, '--layer', '9', '--overwrite');
    assert.equal(tooDeep.code, 1);
    assert.match(tooDeep.err, /layer 9 is not one of the model's 0\.\.\d/);
    const notWhole = await motif(...args, '--layer', '1.5', '--overwrite');
    assert.notEqual(notWhole.code, 0);
    assert.match(notWhole.err, /whole number/);
  });

  await t.test('an interrupted motif embed keeps its committed pieces and --resume finishes the store', async () => {
    const out = join(root, 'store-resumed');
    const run = loadRunModel(runDir, 'epoch-1');
    const items = openDataset(data).items;
    // Native calls (batches of 3 windows) of the first chunk of 4 pieces; the next call is in the second chunk.
    const firstChunk = items.filter((item) => item.id !== BAD_ID).slice(0, 4);
    const windows = firstChunk.reduce(
      (n, item) => n + windowPlan(tokenizer.encode(readNotes(item.path)).length + 2, 48).length,
      0,
    );
    let calls = 0;
    const interrupt = (): void => {
      if (++calls === Math.ceil(windows / 3) + 1) throw new Error('interrupted');
    };
    // Same source as the CLI records, so the CLI may resume it.
    await assert.rejects(
      embedDataset(run, items, { out, chunk: 4, onTokens: interrupt, source: { dataset: data, split: null } }),
      /interrupted/,
    );
    assert.equal(existsSync(out), false, 'no half store under the final name');
    const fresh = await motif(...embedEpoch1(out));
    assert.equal(fresh.code, 1);
    assert.match(fresh.err, /unfinished store.*--resume/);
    const r = await motif(...embedEpoch1(out), '--resume', '--json');
    assert.equal(r.code, 2, r.err);
    const summary = JSON.parse(r.out) as { pieces: number; resumed: number };
    assert.equal(summary.pieces, ids.length);
    assert.ok(summary.resumed >= 4 && summary.resumed < ids.length, `resumed ${summary.resumed}`);
    const resumed = await openStore(out);
    const rows = await resumed.all();
    assert.deepEqual(rows.map((row) => row.id).sort(), [...ids].sort());
    // Every piece's windows once: none lost with the interrupted chunk, none doubled by the resume.
    const plans = rows.map((row) => windowPlan(tokenizer.encode(readNotes(join(data, row.id))).length + 2, 48).length);
    assert.equal(
      (await resumed.windows()).length,
      plans.reduce((a, b) => a + b, 0),
    );
    assert.equal(resumed.info.windows, (await resumed.windows()).length);
    const model = snapshot(1);
    for (const row of rows)
      expectClose(row.vector, byHand(model, join(data, row.id)), { rtol: 1e-4, atol: 1e-5, label: row.id });
  });

  await t.test('motif similar: a stored piece and an unseen MIDI file, by cosine distance', async () => {
    const rows = await (await openStore(store1)).all();
    const query = rows[3];
    const r = await motif('similar', query.id, '--store', store1, '--k', '4', '--json');
    assert.equal(r.code, 0, r.err);
    const got = JSON.parse(r.out) as { neighbours: Array<{ id: string; distance: number }> };
    const expected = rows
      .filter((row) => row.id !== query.id)
      .map((row) => ({ id: row.id, distance: 1 - cosine(query.vector, row.vector) }))
      .sort((a, b) => a.distance - b.distance)
      .slice(0, 4);
    assert.deepEqual(
      got.neighbours.map((n) => n.id),
      expected.map((n) => n.id),
    );
    expectClose(
      got.neighbours.map((n) => n.distance),
      expected.map((n) => n.distance),
      { atol: 1e-4, label: 'distances' },
    );

    const unseen = join(root, 'unseen.mid');
    writeFileSync(unseen, writeMidi(randomNotes(999, 120)));
    const u = await motif('similar', unseen, '--store', store1, '--k', '2', '--split', 'test', '--json');
    assert.equal(u.code, 0, u.err);
    const vec = byHand(snapshot(1), unseen);
    const want = rows
      .filter((row) => row.split === 'test')
      .map((row) => ({ id: row.id, distance: 1 - cosine(vec, row.vector) }))
      .sort((a, b) => a.distance - b.distance)
      .slice(0, 2);
    const near = (JSON.parse(u.out) as typeof got).neighbours;
    assert.deepEqual(
      near.map((n) => n.id),
      want.map((n) => n.id),
    );
    expectClose(
      near.map((n) => n.distance),
      want.map((n) => n.distance),
      { atol: 1e-4, label: 'unseen distances' },
    );

    const bad = await motif('similar', 'no/such/piece.mid', '--store', store1);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /neither a MIDI file nor a piece id/);

    // A stored file given by its path: it is not its own nearest neighbour (k slots stay for others).
    const byPath = await motif('similar', join(data, query.id), '--store', store1, '--k', '4', '--json');
    assert.equal(byPath.code, 0, byPath.err);
    assert.deepEqual(
      (JSON.parse(byPath.out) as typeof got).neighbours.map((n) => n.id),
      expected.map((n) => n.id),
    );

    const bogus = await motif('similar', query.id, '--store', store1, '--split', 'bogus');
    assert.equal(bogus.code, 1);
    assert.match(bogus.err, /no piece .* is in split 'bogus' \(its splits: test, train\)/);
  });

  await t.test('motif similar --excerpt: pieces by their nearest window, with where it starts', async () => {
    const store = await openStore(store1);
    const rows = await store.all();
    const windows = await store.windows();
    const notes = readNotes(join(data, rows[2].id));
    const passage = join(root, 'passage.mid');
    writeFileSync(passage, writeMidi(sliceNotes(notes, notes.start[0] + 2, notes.start[0] + 6)));
    const r = await motif('similar', passage, '--store', store1, '--excerpt', '--k', '3', '--json');
    assert.equal(r.code, 0, r.err);
    const q = byHand(snapshot(1), passage);
    const want = rankByBestWindow(
      q,
      rows.map((row) => row.id),
      windows,
    ).slice(0, 3);
    const got = (
      JSON.parse(r.out) as {
        neighbours: Array<{ id: string; distance: number; window: { start: number; seconds: number } }>;
      }
    ).neighbours;
    assert.deepEqual(
      got.map((n) => [n.id, n.window.start, n.window.seconds]),
      want.map((n) => [n.id, n.start, n.seconds]),
    );
    expectClose(
      got.map((n) => n.distance),
      want.map((n) => n.distance),
      { atol: 1e-4, label: 'best-window distances' },
    );
    const table = await motif('similar', passage, '--store', store1, '--excerpt', '--k', '2');
    assert.match(table.out, /nearest window/);
    assert.match(table.out, /^ +1 +\d\.\d{4} +at +\d+:\d\d /m);
    const byId = await motif('similar', rows[0].id, '--store', store1, '--excerpt');
    assert.equal(byId.code, 1);
    assert.match(byId.err, /--excerpt takes a MIDI file/);
    const plain = join(root, 'store-no-windows');
    const made = await motif(...embedEpoch1(plain), '--no-windows');
    assert.equal(made.code, 2, made.err);
    assert.equal((await openStore(plain)).info.windows, 0);
    const none = await motif('similar', passage, '--store', plain, '--excerpt');
    assert.equal(none.code, 1);
    assert.match(none.err, /keeps no window vectors/);
  });

  await t.test('motif evaluate: the three methods, checked against the metrics applied by hand', async () => {
    const r = await motif('evaluate', '--store', store1, '--data', data, '--json');
    assert.equal(r.code, 2, r.err);
    const e = JSON.parse(r.out) as Required<EvaluationReport>;
    for (const m of ['learned', 'random_init', 'handcrafted'] as const)
      for (const key of METRIC_KEYS) assert.ok(key in e[m], `${m}.${key}`);
    assert.equal(e.learned_mean, undefined, 'no mean-pooled row for a model without a contrastive head');
    assert.ok(!isAbsolute(e.checkpoint) && existsSync(join(e.checkpoint, 'model.safetensors')), e.checkpoint);
    // The store was made by the epoch-1 snapshot, initialised with the run's seed: it is the random init.
    assert.deepEqual(e.learned, e.random_init);
    // The probe leaves out the train split's two Chopin Ballade performances: the test split holds that work too
    // (its broken file), and a work tested on is never fitted on.
    assert.deepEqual(
      [e.counts.performances, e.counts.pieces, e.counts.composers, e.counts.train_performances, e.counts.failures],
      [6, 3, 3, 4, 1],
    );
    assert.equal(e.majority_acc, 1 / 3);
    // Each test composer has one piece (two performances of it): no neighbour of another piece can name them.
    assert.equal(e.composer_knn_ceiling, 0);
    for (const m of ['learned', 'random_init', 'handcrafted'] as const) {
      assert.equal(e[m].composer_knn_acc, 0, m);
      const by = Object.values(e[m].composer_knn_by_composer!);
      assert.deepEqual(
        [by.length, by.reduce((n, c) => n + c.performances, 0), by.reduce((n, c) => n + c.correct, 0)],
        [3, 6, 0],
      );
    }

    // Hand-crafted full-performance retrieval by hand: standardize over test + train, rank within test.
    const testIds = ids.filter((id) => !/Prelude|Ballade|Etude/.test(id));
    const trainIds = ids.filter((id) => /Prelude|Etude/.test(id)); // the probe's (no Ballade: above)
    const hc = [...testIds, ...trainIds].map((id) => handcraftedVector(readNotes(join(data, id))));
    const z = standardize(hc, fitStandardizer(hc));
    const groups = testIds.map((id) => id.split('/').slice(0, 2).join('/'));
    const full = retrieval(
      { vectors: z.slice(0, 6), ids: testIds, groups },
      { vectors: z.slice(0, 6), ids: testIds, groups },
    );
    assert.equal(e.handcrafted.full_mrr, full.mrr);
    // The learned full-performance MRR from the stored vectors.
    const stored = new Map((await (await openStore(store1)).all()).map((row) => [row.id, row.vector]));
    const learned = retrieval(
      { vectors: testIds.map((id) => stored.get(id)!), ids: testIds, groups },
      { vectors: testIds.map((id) => stored.get(id)!), ids: testIds, groups },
    );
    assert.equal(e.learned.full_mrr, learned.mrr);
    // Form and mode k-NN, piece-disjoint: the three test pieces are a fugue, a nocturne and a sonata, so no
    // neighbour of another piece has the right form (a vote that counted the twin performance would).
    assert.equal(e.form_majority_acc, 1 / 3);
    for (const m of ['learned', 'random_init', 'handcrafted'] as const) assert.equal(e[m].form_knn_acc, 0, m);
    const rowsById = new Map((await (await openStore(store1)).all()).map((row) => [row.id, row]));
    const modes = testIds.map((id) => rowsById.get(id)!.key!.split(' ')[1]);
    const modeKnn = knnPredict({ vectors: testIds.map((id) => stored.get(id)!), groups }, modes, 5);
    assert.equal(e.learned.mode_knn_acc, accuracy(modeKnn, modes));
    // Composer k-NN with neighbours only by composers of the probe's train performances, by hand; and every
    // wrong answer of the plain k-NN is named once.
    const composers = testIds.map((id) => rowsById.get(id)!.composer!);
    const seen = new Set(trainIds.map((id) => rowsById.get(id)!.composer!));
    assert.ok(composers.some((c) => !seen.has(c)) && composers.some((c) => seen.has(c)), 'both kinds of composer');
    const seenKnn = knnPredict(
      { vectors: testIds.map((id) => stored.get(id)!), groups },
      composers,
      5,
      composers.map((c) => seen.has(c)),
    );
    assert.equal(e.learned.composer_knn_seen_acc, accuracy(seenKnn, composers));
    for (const a of Object.values(e.learned.composer_knn_by_composer!))
      assert.equal(
        Object.values(a.mistaken_for).reduce((n, x) => n + x, 0),
        a.performances - a.correct,
      );
    assert.equal(e.mode_majority_acc, majorityAccuracy(modes));
    for (const m of ['learned', 'handcrafted'] as const)
      for (const key of METRIC_KEYS)
        assert.ok((e[m][key as 'full_mrr'] ?? 0) >= 0 && (e[m][key as 'full_mrr'] ?? 0) <= 1);

    // A store without windows is measured the same: its windows are embedded now, as the store would have kept them.
    const noWindows = JSON.parse(
      (
        await motif(
          'evaluate',
          '--store',
          join(root, 'store-no-windows'),
          '--data',
          data,
          '--methods',
          'learned',
          '--json',
        )
      ).out,
    ) as EvaluationReport;
    assert.deepEqual(noWindows.learned, e.learned);
    // The text report: the seen-composer row, and each composer's answers with its most frequent wrong one.
    const text = (await motif('evaluate', '--store', store1, '--data', data, '--methods', 'learned')).out;
    const seenRow = text.split('\n').find((l) => l.startsWith('composer kNN, seen'));
    assert.equal(seenRow?.split(/\s+/).at(-1), e.learned.composer_knn_seen_acc!.toFixed(3), text);
    const byLine = text.split('\n').find((l) => l.startsWith('composer k-NN by composer, learned: '));
    for (const [composer, a] of Object.entries(e.learned.composer_knn_by_composer!)) {
      const [wrong, n] = Object.entries(a.mistaken_for).sort((x, y) => y[1] - x[1])[0];
      assert.ok(
        byLine?.includes(`${composer} ${a.correct}/${a.performances} (as ${wrong} ${n})`),
        `${composer}: ${text}`,
      );
    }
    // Best-window excerpt retrieval by hand: the seeded excerpts embedded here against the stored windows.
    const run1 = loadRunModel(runDir, 'epoch-1');
    const prepared = splitPrepared(
      await prepareItems(
        testIds.map((id) => openDataset(data).items.find((item) => item.id === id)!),
        { ...run1, excerpt: { seconds: 15, seed: 0 } },
        { workers: 0 },
      ),
    ).good;
    const storedWindows = await (await openStore(store1)).windows();
    const byBest = bestPartRetrieval(
      {
        vectors: prepared.map((p) => byHand(run1.model, frame(p.piece.excerpt!.ids, tokenizer))),
        ids: testIds,
        groups,
      },
      {
        parts: testIds.map((id) => storedWindows.filter((w) => w.id === id).map((w) => w.vector)),
        ids: testIds,
        groups,
      },
    );
    assert.ok(byBest.queries === 6 && byBest.mrr !== null);
    expectClose(e.learned.excerpt_window_mrr ?? NaN, byBest.mrr, { atol: 1e-9, label: 'excerpt window MRR' });

    // Another checkpoint: a store of epoch 2 is no longer the random init.
    const store2 = join(root, 'store2');
    assert.equal(
      (await motif('embed', '--run', runDir, '--checkpoint', 'epoch-2', '--data', data, '--out', store2)).code,
      2,
    );
    const e2 = JSON.parse(
      (await motif('evaluate', '--store', store2, '--data', data, '--json')).out,
    ) as EvaluationReport;
    assert.deepEqual(e2.random_init, e.random_init);
    assert.deepEqual(e2.handcrafted, e.handcrafted);
    assert.notDeepEqual(e2.learned, e2.random_init);

    // --methods measures only what it names, with the same figures.
    const some = await motif(
      'evaluate',
      '--store',
      store2,
      '--data',
      data,
      '--methods',
      'learned,handcrafted',
      '--json',
    );
    const e3 = JSON.parse(some.out) as EvaluationReport;
    assert.deepEqual(
      METHODS.filter((m) => m in e3),
      ['learned', 'handcrafted'],
    );
    assert.deepEqual([e3.learned, e3.handcrafted], [e2.learned, e2.handcrafted]);
    const table = await motif('evaluate', '--store', store2, '--data', data, '--methods', 'handcrafted');
    assert.match(table.out, /^ +handcrafted$/m);
    assert.doesNotMatch(table.out, /random_init|learned/);
    const bad = await motif('evaluate', '--store', store2, '--data', data, '--methods', 'learned,bogus');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /--methods: unknown method 'bogus' \(learned, learned_mean, random_init, handcrafted\)/);
    const noHead = await motif('evaluate', '--store', store2, '--data', data, '--methods', 'learned_mean');
    assert.equal(noHead.code, 1);
    assert.match(noHead.err, /this model has no contrastive head/);
  });
});
