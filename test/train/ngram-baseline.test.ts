// The count baselines of motif eval on a corpus small enough to work out by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ngramBaselines } from '../../src/train/ngram-baseline.js';

const framing = { bosId: 1, eosId: 2, padId: 0 };

test('unigram (add-one) and Witten–Bell bigram give the hand-computed probabilities', () => {
  // Train [bos 5 5 5 eos]: targets 5, 5, 5, eos. Unigram counts 5:3, eos:1 of 4; V = 8, so
  // p(5) = 4/12, p(eos) = 2/12. Contexts: bos → {5:1} (c 1, T 1); 5 → {5:2, eos:1} (c 3, T 2).
  // Scored [bos 5 eos]: p(5 | bos) = (1 + 1·4/12) / (1 + 1) = 2/3; p(eos | 5) = (1 + 2·2/12) / (3 + 2) = 4/15.
  const b = ngramBaselines([[5, 5, 5]], [[5]], framing, 8);
  const close = (a: number, e: number) => assert.ok(Math.abs(a - e) < 1e-12, `${a} vs ${e}`);
  close(b.unigram.lossSum, -Math.log(4 / 12) - Math.log(2 / 12));
  close(b.bigram.lossSum, -Math.log(2 / 3) - Math.log(4 / 15));
  close(b.bigram.loss, b.bigram.lossSum / 2);
});

test('an unseen context falls back to the unigram; an empty split is an error', () => {
  // Context 7 never occurs in train, so p(eos | 7) is the unigram p(eos); p(7 | bos) = (0 + 1·1/12) / 2.
  const b = ngramBaselines([[5, 5, 5]], [[7]], framing, 8);
  assert.ok(Math.abs(b.bigram.lossSum - (-Math.log(1 / 24) - Math.log(2 / 12))) < 1e-12);
  assert.throws(() => ngramBaselines([[5]], [], framing, 8), /no tokens to score/);
});
