import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  evalBatches,
  evalWindows,
  fillWindow,
  framedLength,
  TrainWindows,
  type Framing,
} from '../../src/train/batches.js';

const F: Framing = { padId: 0, bosId: 1, eosId: 2 };
// Piece p holds ids 10·(p+1) + i, so every token says which piece and position it came from.
const pieces = [5, 1, 17, 40, 8].map((n, p) => Int32Array.from({ length: n }, (_, i) => 10 * (p + 1) + i));
const framed = (p: number): number[] => [F.bosId, ...pieces[p], F.eosId];

test('fillWindow frames with bos/eos and pads past the end', () => {
  const out = new Int32Array(10).fill(-1);
  fillWindow(out, 2, pieces[0], 3, 6, F);
  assert.deepEqual([...out], [-1, -1, 12, 13, 14, F.eosId, F.padId, F.padId, -1, -1]);
  fillWindow(out, 0, pieces[1], 0, 4, F);
  assert.deepEqual([...out.subarray(0, 4)], [F.bosId, 10 * 2, F.eosId, F.padId]);
});

test('train windows are deterministic given the seed and are real slices of framed pieces', () => {
  const W = 8;
  const a = new TrainWindows(pieces, F, W, 123);
  const b = new TrainWindows(pieces, F, W, 123);
  const c = new TrainWindows(pieces, F, W, 124);
  const ba = a.next(16);
  assert.deepEqual(b.next(16), ba);
  assert.notDeepEqual(c.next(16), ba);
  for (let r = 0; r < 16; r++) {
    const row = [...ba.subarray(r * W, r * W + W)];
    // Find the piece and start that produce this row.
    const found = pieces.some((_, p) => {
      const f = framed(p);
      for (let s = 0; s < f.length; s++) {
        const want = Array.from({ length: W }, (_, j) => (s + j < f.length ? f[s + j] : F.padId));
        if (want.every((x, j) => x === row[j])) return true;
      }
      return false;
    });
    assert.ok(found, `row ${row} is not a window of any framed piece`);
    // Padding only ever follows eos.
    const firstPad = row.indexOf(F.padId);
    if (firstPad >= 0) {
      assert.equal(row[firstPad - 1], F.eosId);
      assert.ok(row.slice(firstPad).every((x) => x === F.padId));
    }
  }
});

test('windows stay inside long pieces; only pieces shorter than the window are padded', () => {
  const W = 12;
  const tw = new TrainWindows(pieces, F, W, 5);
  const seen = new Set<string>();
  for (let i = 0; i < 3000; i++) {
    const { piece, start } = tw.draw();
    const L = framedLength(pieces[piece]);
    if (L >= W) assert.ok(start + W <= L, `window ${piece}@${start} runs past a piece of ${L}`);
    else assert.equal(start, 0);
    seen.add(`${piece}@${start}`);
  }
  // Every possible window is drawn (uniform over 1 + 1 + 8 + 31 + 1 = 42 windows).
  const possible = pieces.reduce((n, ids) => n + Math.max(1, framedLength(ids) - W + 1), 0);
  assert.equal(seen.size, possible);
});

test('an epoch holds the train tokens once; a restored state continues the same batches', () => {
  const tw = new TrainWindows(pieces, F, 8, 9);
  const tokens = pieces.reduce((n, p) => n + p.length + 2, 0);
  assert.equal(tw.tokens, tokens);
  assert.equal(tw.windowsPerEpoch, Math.ceil(tokens / 8));
  assert.equal(tw.stepsPerEpoch(3), Math.ceil(Math.ceil(tokens / 8) / 3));
  tw.next(4);
  const state = tw.state;
  const expected = tw.next(4);
  const again = new TrainWindows(pieces, F, 8, 999);
  again.state = state;
  assert.deepEqual(again.next(4), expected);
});

test('validation windows score every framed token after bos exactly once, with its true context', () => {
  for (const W of [2, 3, 8, 64]) {
    const hits = pieces.map((ids) => new Array(framedLength(ids)).fill(0));
    const B = 3;
    let rows = 0;
    for (const { tokens, windows } of evalBatches(pieces, F, W, B)) {
      assert.equal(tokens.length, B * W);
      windows.forEach(({ piece, start }, b) => {
        const f = framed(piece);
        for (let j = 0; j < W; j++) {
          const expect = start + j < f.length ? f[start + j] : F.padId;
          assert.equal(tokens[b * W + j], expect);
          // Position j > 0 of a window is a target unless it is padding.
          if (j > 0 && start + j < f.length) hits[piece][start + j]++;
        }
      });
      // Rows past the last window are all padding, so they add no targets.
      for (let b = windows.length; b < B; b++) assert.ok(tokens.subarray(b * W, b * W + W).every((x) => x === F.padId));
      rows += windows.length;
    }
    assert.equal(rows, evalWindows(pieces, W).length);
    hits.forEach((h, p) => assert.deepEqual(h, [0, ...new Array(h.length - 1).fill(1)], `piece ${p}, width ${W}`));
  }
});
