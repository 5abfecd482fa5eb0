// Song-embedding extraction on the tiny model: window plans, the weighted window average against
// windows embedded one by one, padding masked by the pooling, and batching that changes nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { embedNotes, embedSequences, embedWindows, frame, windowPlan, windowTokens } from '../../src/embed/extract.js';
import { notesFrom } from '../../src/midi/notes.js';
import { loadPreset } from '../../src/model/config.js';
import { Transformer } from '../../src/model/transformer.js';
import { Rng } from '../../src/util/rng.js';
import { expectClose } from '../helpers/close.js';

const tiny = loadPreset('tiny').model; // vocab 64, maxLen 64
const model = Transformer.create(tiny, 7);
const C = tiny.dModel;

function randomIds(n: number, seed: number): Int32Array {
  const r = new Rng(seed);
  return Int32Array.from({ length: n }, () => 4 + r.nextInt(60));
}

/** The mean-pooled last hidden state of one unpadded window, embedded alone. */
function single(ids: Int32Array): Float32Array {
  return model.embed(ids, new Uint8Array(ids.length).fill(1), 1, ids.length);
}

test('window plans cover every position once by weight, with the last window ending at n', () => {
  for (const [n, T, overlap] of [
    [150, 64, 0.5],
    [64, 64, 0.5],
    [10, 64, 0.5],
    [65, 64, 0.25],
    [1000, 100, 0.9],
    [200, 64, 0],
  ] as const) {
    const plan = windowPlan(n, T, overlap);
    assert.equal(
      plan.reduce((s, w) => s + w.weight, 0),
      n,
      `weights of n=${n} T=${T}`,
    );
    assert.equal(plan[0].start, 0);
    assert.equal(plan[plan.length - 1].end, n);
    for (const w of plan) assert.ok(w.end - w.start <= T && w.weight > 0);
    for (let i = 1; i < plan.length; i++) assert.equal(plan[i].weight, plan[i].end - plan[i - 1].end);
  }
  assert.deepEqual(
    windowPlan(150, 64, 0.5).map((w) => [w.start, w.end, w.weight]),
    [
      [0, 64, 64],
      [32, 96, 32],
      [64, 128, 32],
      [86, 150, 22],
    ],
  );
});

test('a long piece is the new-token-weighted mean of its windows, each embedded by hand', () => {
  const seq = randomIds(150, 1);
  // Windows of 64 with 50% overlap, written out by hand: [0,64) [32,96) [64,128) [86,150); new tokens 64, 32, 32, 22.
  const hand = [
    [0, 64, 64],
    [32, 96, 32],
    [64, 128, 32],
    [86, 150, 22],
  ] as const;
  const expected = new Float64Array(C);
  for (const [s, e, w] of hand) {
    const v = single(seq.subarray(s, e));
    for (let c = 0; c < C; c++) expected[c] += (w * v[c]) / 150;
  }
  const [got] = embedSequences(model, [seq], { window: 64, overlap: 0.5, batch: 3 });
  expectClose(got, expected, { rtol: 1e-4, atol: 1e-5, label: 'windowed embedding' });
  // The windows kept beside it are those windows, in order, each its own vector.
  const { vectors, windows } = embedWindows(model, [randomIds(20, 2), seq], { window: 64, overlap: 0.5, batch: 3 });
  expectClose(vectors[1], got, { rtol: 1e-6, atol: 1e-7, label: 'embedWindows average = embedSequences' });
  assert.deepEqual(
    windows[1].map((w) => [w.start, w.end]),
    hand.map(([s, e]) => [s, e]),
  );
  assert.equal(windows[0].length, 1, 'a short piece is one window');
  hand.forEach(([s, e], i) =>
    expectClose(windows[1][i].vector, single(seq.subarray(s, e)), { rtol: 1e-4, atol: 1e-5, label: `window ${i}` }),
  );
});

test('pooling masks padding: pad tokens appended (masked) leave the vector unchanged', () => {
  const seq = randomIds(23, 2);
  const alone = single(seq);
  const T = 40;
  const tokens = new Int32Array(T).fill(tiny.padId);
  tokens.set(seq);
  const mask = new Uint8Array(T).fill(1, 0, seq.length);
  expectClose(model.embed(tokens, mask, 1, T), alone, { rtol: 1e-4, atol: 1e-5, label: 'padded' });
  // Padding must be masked, not merely harmless: pooling over the pads too gives another vector.
  const unmasked = model.embed(tokens, new Uint8Array(T).fill(1), 1, T);
  assert.ok(
    unmasked.some((x, c) => Math.abs(x - alone[c]) > 1e-3),
    'pads pooled in should change the mean',
  );
});

test('batching mixed lengths gives the same vectors as one sequence at a time', () => {
  const seqs = [randomIds(5, 3), randomIds(64, 4), randomIds(100, 5), randomIds(31, 6), randomIds(200, 7)];
  const together = embedSequences(model, seqs, { window: 64, batch: 4 });
  let tokens = 0;
  const apart = seqs.map(
    (s) => embedSequences(model, [s], { window: 64, batch: 1, onTokens: (n) => (tokens += n) })[0],
  );
  together.forEach((v, i) => expectClose(v, apart[i], { rtol: 1e-4, atol: 1e-5, label: `sequence ${i}` }));
  // Windows of 64 with 50% overlap (stride 32), by hand: 5 → 5; 64 → 64; 100 → [0,64) [32,96) [36,100);
  // 31 → 31; 200 → [0,64) [32,96) [64,128) [96,160) [128,192) [136,200).
  assert.equal(tokens, 5 + 64 + 3 * 64 + 31 + 6 * 64);
  assert.equal(windowTokens(seqs, 64), tokens);
});

test('embedNotes frames the encoded notes with bos and eos', () => {
  const ids = randomIds(12, 8);
  const tokenizer = { bosId: 1, eosId: 2, encode: () => ids };
  const notes = notesFrom([{ pitch: 60, velocity: 64, start: 0, end: 1 }]);
  const got = embedNotes(model, tokenizer, notes);
  expectClose(got, single(frame(ids, tokenizer)), { rtol: 1e-4, atol: 1e-5, label: 'embedNotes' });
  assert.deepEqual([...frame([5, 6], tokenizer)], [1, 5, 6, 2]);
});
