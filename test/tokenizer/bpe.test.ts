// BpeCodec: encoding against a plain reference (lowest-rank pair first, leftmost on ties, per 128-token
// chunk), decode ∘ encode = identity on random base sequences, and the errors for ids it cannot map.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { trainBpe } from '../../src/tokenizer/bpe-train.js';
import { BpeCodec, CHUNK_LENGTH, type BpeModel } from '../../src/tokenizer/bpe.js';

const BASE = 12;

/** A model trained on a random corpus drawn from a few repeating motifs, so merges are many and deep. */
function trainedModel(seed: number, vocabSize: number): BpeModel {
  let s = seed;
  const rand = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const motifs = [
    [1, 2, 3],
    [4, 4, 4, 4],
    [5, 6],
    [7, 1, 2, 8, 9],
  ];
  const pieces: Int32Array[] = [];
  for (let p = 0; p < 30; p++) {
    const ids: number[] = [];
    while (ids.length < 400)
      ids.push(...(rand() < 0.8 ? motifs[Math.floor(rand() * motifs.length)] : [Math.floor(rand() * BASE)]));
    pieces.push(Int32Array.from(ids));
  }
  return trainBpe(pieces, {
    vocabSize,
    baseVocabSize: BASE,
    specialTokens: ['<PAD>', '<CLS>'],
    initialAlphabet: Array.from({ length: BASE }, (_, i) => i),
  });
}

/** Reference encoder: per chunk, repeatedly merge the leftmost occurrence of the lowest-rank pair. */
function referenceEncode(model: BpeModel, ids: ArrayLike<number>): number[] {
  const rank = new Map<string, number>();
  for (let r = 0; r < model.merges.length / 2; r++) rank.set(`${model.merges[2 * r]},${model.merges[2 * r + 1]}`, r);
  const idOf = new Map(model.tokens.map((t, id) => [t, id]));
  const out: number[] = [];
  for (let off = 0; off < ids.length; off += CHUNK_LENGTH) {
    const w = Array.from(
      Array.prototype.slice.call(ids, off, off + CHUNK_LENGTH) as number[],
      (b) => model.specialCount + b,
    );
    for (;;) {
      let best = -1;
      for (let i = 0; i + 1 < w.length; i++) {
        const r = rank.get(`${w[i]},${w[i + 1]}`);
        if (r !== undefined && (best < 0 || r < rank.get(`${w[best]},${w[best + 1]}`)!)) best = i;
      }
      if (best < 0) break;
      w.splice(best, 2, idOf.get(model.tokens[w[best]] + model.tokens[w[best + 1]])!);
    }
    out.push(...w);
  }
  return out;
}

const model = trainedModel(3, 120);
const codec = new BpeCodec(model);
const idsArb = fc.array(fc.oneof(fc.integer({ min: 0, max: BASE - 1 }), fc.constantFrom(1, 2, 3, 4, 4, 5, 6)), {
  maxLength: 3 * CHUNK_LENGTH + 5,
});

test('encode matches the reference encoder, chunk by chunk', () => {
  assert.ok(model.tokens.length === 120, 'the corpus should give the full vocabulary');
  fc.assert(
    fc.property(idsArb, (ids) => {
      assert.deepEqual(Array.from(codec.encode(ids)), referenceEncode(model, ids));
    }),
    { numRuns: 300 },
  );
});

test('decode(encode(x)) = x on random base sequences; encoding is repeatable', () => {
  fc.assert(
    fc.property(idsArb, (ids) => {
      const first = codec.encode(ids);
      assert.deepEqual(Array.from(codec.decode(first)), ids);
      assert.deepEqual(codec.encode(ids), first);
    }),
    { numRuns: 300 },
  );
});

test('special ids decode to nothing; unknown ids and base ids outside the alphabet throw', () => {
  const ids = codec.encode([1, 2, 3]);
  assert.deepEqual(Array.from(codec.decode([0, ...ids, 1])), [1, 2, 3]);
  assert.throws(() => codec.decode([codec.vocabSize]), /outside the vocabulary/);
  const partial = new BpeCodec(
    trainBpe([Int32Array.from([1, 2, 1, 2])], { vocabSize: 10, baseVocabSize: BASE, specialTokens: [] }),
  );
  assert.throws(() => partial.encode([1, 7]), /base id 7 is not in the BPE alphabet/);
});
