// Metrics against small configurations worked out by hand (the arithmetic is in the comments).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accuracy,
  accuracyByLabel,
  cosine,
  knnCeiling,
  knnPredict,
  macroF1,
  majorityAccuracy,
  bestPartRetrieval,
  retrieval,
} from '../../src/analysis/metrics.js';
import { expectClose } from '../helpers/close.js';

// Unit vectors, so cosine = dot product: a1·a2 = 0.8, a1·b1 = 0.6, a2·b1 = 0.96, a2·b2 = 0.6, b1·b2 = 0.8, a1·b2 = 0.
const items = {
  vectors: [
    [1, 0],
    [0.8, 0.6],
    [0.6, 0.8],
    [0, 1],
    [-1, 0],
  ],
  ids: ['a1', 'a2', 'b1', 'b2', 'c1'],
  groups: ['A', 'A', 'B', 'B', 'C'],
};

test('retrieval: MRR and recall@k of a hand-worked configuration', () => {
  // a1: best same-group 0.8 (a2), no other-group item ≥ 0.8 → rank 1.
  // a2: best same 0.8 (a1), b1 scores 0.96 → rank 2.   b1: best same 0.8 (b2), a2 scores 0.96 → rank 2.
  // b2: best same 0.8 (b1), others 0.6, 0, 0 → rank 1.  c1: no other item of group C → skipped.
  const r = retrieval(items, items, [1, 2, 5]);
  assert.equal(r.queries, 4);
  assert.equal(r.skipped, 1);
  expectClose(r.mrr ?? NaN, (1 + 1 / 2 + 1 / 2 + 1) / 4, { label: 'MRR' });
  expectClose(
    [r.recallAt[1], r.recallAt[2], r.recallAt[5]].map((x) => x ?? NaN),
    [2 / 4, 4 / 4, 4 / 4],
    { label: 'recall@1,2,5' },
  );
});

test('retrieval: a query never finds itself, and scaling a vector changes nothing (cosine)', () => {
  // Queries are excerpts with the ids of gallery items: a1's excerpt equals a1 exactly, yet a1 is excluded,
  // so the excerpt must rank a2 (0.8) against b1 (0.6) → rank 1; a2's excerpt ranks a1 (0.8) below b1 (0.96) → rank 2.
  const queries = {
    vectors: [
      [5, 0],
      [0.8, 0.6],
    ],
    ids: ['a1', 'a2'],
    groups: ['A', 'A'],
  };
  const r = retrieval(queries, items, [1]);
  expectClose(r.mrr ?? NaN, (1 + 1 / 2) / 2, { label: 'excerpt MRR' });
  expectClose(r.recallAt[1] ?? NaN, 1 / 2, { label: 'excerpt recall@1' });
});

test('bestPartRetrieval: an item scores by its best part; one part each is retrieval itself', () => {
  // a1's excerpt [1, 0] against parts: a2 holds [0, 1] and [0.6, 0.8] → best 0.6; b1 holds [0.8, 0.6] → 0.8;
  // so a2 (same piece) ranks behind b1 → rank 2. a2's excerpt [0, 1]: a1's parts [1, 0], [0, 1] → 1 (a hit
  // that only a window finds: a1's mean would be [0.5, 0.5]); b1 0.6 → rank 1. MRR (1/2 + 1) / 2.
  const gallery = {
    parts: [
      [
        [1, 0],
        [0, 1],
      ],
      [
        [0, 1],
        [0.6, 0.8],
      ],
      [[0.8, 0.6]],
    ],
    ids: ['a1', 'a2', 'b1'],
    groups: ['A', 'A', 'B'],
  };
  const queries = {
    vectors: [
      [1, 0],
      [0, 1],
    ],
    ids: ['a1', 'a2'],
    groups: ['A', 'A'],
  };
  const r = bestPartRetrieval(queries, gallery, [1]);
  expectClose(r.mrr ?? NaN, (1 / 2 + 1) / 2, { label: 'best-part MRR' });
  expectClose(r.recallAt[1] ?? NaN, 1 / 2, { label: 'best-part recall@1' });
  assert.deepEqual(
    bestPartRetrieval(items, { ...items, parts: items.vectors.map((v) => [v]) }, [1, 2]),
    retrieval(items, items, [1, 2]),
  );
});

test('retrieval: ties count against the query, so a collapsed embedding scores badly', () => {
  // All equal: each query's best same-group item ties with both other-group items → rank 3.
  const collapsed = {
    vectors: [
      [1, 1],
      [1, 1],
      [1, 1],
      [1, 1],
    ],
    ids: ['a1', 'a2', 'b1', 'b2'],
    groups: ['A', 'A', 'B', 'B'],
  };
  const r = retrieval(collapsed, collapsed, [1]);
  expectClose(r.mrr ?? NaN, 1 / 3, { label: 'MRR' });
  assert.equal(r.recallAt[1], 0);
});

test('retrieval over zero queries is null, not 0 (nothing to find is not "never found")', () => {
  const lonely = {
    vectors: [
      [1, 0],
      [0, 1],
    ],
    ids: ['a1', 'b1'],
    groups: ['A', 'B'],
  };
  const r = retrieval(lonely, lonely, [1, 5]);
  assert.deepEqual([r.mrr, r.recallAt[1], r.recallAt[5], r.queries, r.skipped], [null, null, null, 0, 2]);
});

test('knnPredict: neighbours never come from the query’s own group; votes and tie-break by summed similarity', () => {
  const v = [
    [1, 0],
    [0.9, 0.1],
    [0.8, 0.2],
    [0.7, 0.3],
    [0, 1],
    [0.1, 0.9],
  ];
  const groups = ['p1', 'p1', 'p2', 'p3', 'p4', 'p5'];
  const labels = ['X', 'X', 'Y', 'X', 'Y', 'X'];
  // Item 0 (p1) may not see item 1: cosines 2: 0.8/√0.68 = 0.970, 3: 0.7/√0.58 = 0.919, 5: 0.1/√0.82 = 0.110, 4: 0.
  assert.equal(knnPredict({ vectors: v, groups }, labels, 1)[0], 'Y'); // nearest: item 2
  assert.equal(knnPredict({ vectors: v, groups }, labels, 3)[0], 'X'); // Y, X, X
  assert.equal(knnPredict({ vectors: v, groups }, labels, 2)[0], 'Y'); // Y, X tie 1–1: Y's similarity 0.970 > X's 0.919
  // Item 1's true nearest is item 0 (label X), same piece: it must answer item 2's Y (cosine 0.991).
  assert.equal(knnPredict({ vectors: v, groups }, labels, 1)[1], 'Y');
  expectClose(cosine(v[1], v[2]), 0.74 / Math.sqrt(0.82 * 0.68), { label: 'cosine' });
  // With item 2 out of the pool, item 0's nearest is item 3 (X); item 2 is still a query and still answers.
  const pool = [true, true, false, true, true, true];
  assert.equal(knnPredict({ vectors: v, groups }, labels, 1, pool)[0], 'X');
  assert.equal(knnPredict({ vectors: v, groups }, labels, 1, pool)[2], 'X'); // item 2's nearest: item 1 (X)
  assert.throws(() => knnPredict({ vectors: v, groups }, labels, 1, [true]), /a pool of 1 for 6 items/);
});

test('accuracy, macro-F1 and majority rate by hand', () => {
  const truth = ['a', 'a', 'b', 'b', 'c'];
  const pred = ['a', 'b', 'b', 'b', 'a'];
  expectClose(accuracy(pred, truth), 3 / 5, { label: 'accuracy' });
  // a: tp 1, fp 1, fn 1 → 2/4. b: tp 2, fp 1, fn 0 → 4/5. c: tp 0 → 0.
  expectClose(macroF1(pred, truth), (0.5 + 0.8 + 0) / 3, { label: 'macro-F1' });
  // a and b tie at 2: the first in sorted order (a) is the majority answer → 2/5.
  expectClose(majorityAccuracy(truth), 2 / 5, { label: 'majority' });
  // Majority of a training set (c) applied to another set.
  expectClose(majorityAccuracy(truth, ['c', 'c', 'a']), 1 / 5, { label: 'majority from train' });
  assert.throws(() => accuracy(['a'], truth), /1 predictions for 5 labels/);
});

test('knnCeiling: only items whose label another group also has can be named by a piece-disjoint neighbour', () => {
  // Bach: two pieces (3 items) → reachable; Haydn: one piece twice → not; Liszt: one item alone → not.
  const labels = ['Bach', 'Bach', 'Bach', 'Haydn', 'Haydn', 'Liszt'];
  const groups = ['bwv846', 'bwv846', 'bwv847', 'hob1', 'hob1', 's139'];
  assert.equal(knnCeiling(labels, groups), 3 / 6);
  assert.equal(knnCeiling([], []), 0);
  assert.throws(() => knnCeiling(['a'], []), /1 labels for 0 groups/);
});

test('accuracyByLabel: right answers, items and wrong answers per true label, by hand', () => {
  assert.deepEqual(accuracyByLabel(['a', 'b', 'b', 'a', 'b'], ['a', 'a', 'b', 'c', 'c']), {
    a: { correct: 1, performances: 2, mistaken_for: { b: 1 } },
    b: { correct: 1, performances: 1, mistaken_for: {} },
    c: { correct: 0, performances: 2, mistaken_for: { a: 1, b: 1 } },
  });
  assert.throws(() => accuracyByLabel(['a'], []), /1 predictions for 0 labels/);
});
