// trainBpe: a hand-checked corpus, a plain recount-everything reference trainer on random corpora, and
// Hugging Face's own Rust BpeTrainer (npm `tokenizers`) on the same training text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { trainBpe, type BpeTrainOptions } from '../../src/tokenizer/bpe-train.js';
import { CHUNK_LENGTH, baseChar, baseIdsToText, type BpeModel } from '../../src/tokenizer/bpe.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Merges as "left right" strings of characters, for readable comparisons. */
function mergeStrings(model: BpeModel): string[] {
  const out: string[] = [];
  for (let r = 0; r < model.merges.length / 2; r++)
    out.push(`${model.tokens[model.merges[2 * r]]} ${model.tokens[model.merges[2 * r + 1]]}`);
  return out;
}

/**
 * Reference trainer: recounts every pair over every chunk before each merge, takes the largest count
 * (ties: smallest (left id, right id)), merges left to right in every chunk. Quadratic, obviously right.
 */
function referenceTrain(pieces: Int32Array[], o: BpeTrainOptions): { tokens: string[]; merges: string[] } {
  const maxLen = o.maxTokenLength ?? Infinity;
  const tokens = [...new Set(o.specialTokens)];
  const present = new Set<number>(Array.from(o.initialAlphabet ?? []));
  for (const p of pieces) p.forEach((b) => present.add(b));
  for (const b of [...present].sort((x, y) => x - y)) tokens.push(baseChar(b));
  const words: number[][] = [];
  for (const p of pieces) {
    for (let off = 0; off < p.length; off += CHUNK_LENGTH)
      words.push(Array.from(p.subarray(off, off + CHUNK_LENGTH), (b) => tokens.indexOf(baseChar(b))));
  }
  const merges: string[] = [];
  while (tokens.length < o.vocabSize) {
    const counts = new Map<string, number>();
    for (const w of words) {
      for (let i = 0; i + 1 < w.length; i++) {
        const len = tokens[w[i]].length + tokens[w[i + 1]].length;
        if (len !== 2 && len >= maxLen) continue;
        const key = `${w[i]},${w[i + 1]}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    let best: number[] | undefined;
    let bestCount = 0;
    for (const [key, c] of counts) {
      const [a, b] = key.split(',').map(Number);
      if (c > bestCount || (c === bestCount && best && (a < best[0] || (a === best[0] && b < best[1])))) {
        best = [a, b];
        bestCount = c;
      }
    }
    if (!best) break;
    const [a, b] = best;
    const joined = tokens[a] + tokens[b];
    let t = tokens.indexOf(joined);
    if (t < 0) t = tokens.push(joined) - 1;
    merges.push(`${tokens[a]} ${tokens[b]}`);
    for (const w of words) {
      for (let i = 0; i + 1 < w.length; i++) if (w[i] === a && w[i + 1] === b) w.splice(i, 2, t);
    }
  }
  return { tokens, merges };
}

/** A random corpus with some repetition (so merges have something to find). */
const corpusArb = (alphabet: number) =>
  fc.array(
    fc
      .array(fc.oneof(fc.integer({ min: 0, max: alphabet - 1 }), fc.constantFrom(0, 1, 0, 1, 2)), {
        minLength: 0,
        maxLength: 300,
      })
      .map((a) => Int32Array.from(a)),
    { minLength: 1, maxLength: 12 },
  );

test('hand-checked corpus: counts, tie-break by smallest pair, ids after specials and alphabet', () => {
  // Chunks (alphabet a b c = base 0 1 2): "abab", "abc" twice, "bc".
  const pieces = [
    [0, 1, 0, 1],
    [0, 1, 2],
    [0, 1, 2],
    [1, 2],
  ].map((p) => Int32Array.from(p));
  const model = trainBpe(pieces, { vocabSize: 100, baseVocabSize: 3, specialTokens: ['<PAD>'] });
  const [a, b, c] = [0, 1, 2].map(baseChar);
  // ab: 4 → abc: 2 → then bc (ids 2,3) and abab (ids 4,4) both 1: the smaller pair (bc) first.
  assert.deepEqual(model.tokens, ['<PAD>', a, b, c, a + b, a + b + c, b + c, a + b + a + b]);
  assert.deepEqual(mergeStrings(model), [`${a} ${b}`, `${a + b} ${c}`, `${b} ${c}`, `${a + b} ${a + b}`]);
  assert.equal(model.specialCount, 1);
  // vocabSize stops early and counts the specials and the alphabet; progress ends at (done, wanted).
  const calls: Array<[number, number]> = [];
  assert.equal(
    trainBpe(pieces, {
      vocabSize: 6,
      baseVocabSize: 3,
      specialTokens: ['<PAD>'],
      onProgress: (d, w) => calls.push([d, w]),
    }).tokens.length,
    6,
  );
  assert.deepEqual(calls.at(-1), [2, 2]);
});

test('merges never cross a 128-token chunk, and stats count chunks and distinct words', () => {
  const piece = new Int32Array(CHUNK_LENGTH + 1).fill(5);
  piece[CHUNK_LENGTH] = 6;
  let stats = { baseTokens: 0, chunks: 0, distinctWords: 0 };
  const model = trainBpe([piece, piece], { vocabSize: 50, baseVocabSize: 10, specialTokens: [] }, (s) => (stats = s));
  assert.deepEqual(stats, { baseTokens: 2 * (CHUNK_LENGTH + 1), chunks: 4, distinctWords: 2 });
  assert.ok(model.tokens.every((t) => !(t.includes(baseChar(5)) && t.includes(baseChar(6)))));
  assert.ok(model.tokens.includes(baseChar(5).repeat(CHUNK_LENGTH)));
});

test('initialAlphabet adds unseen base ids; bad base ids and special tokens are rejected', () => {
  const model = trainBpe([Int32Array.from([1, 2, 1, 2])], {
    vocabSize: 10,
    baseVocabSize: 8,
    specialTokens: ['<PAD>'],
    initialAlphabet: [7, 0],
  });
  assert.deepEqual(model.tokens.slice(1, 5), [0, 1, 2, 7].map(baseChar));
  assert.throws(
    () =>
      trainBpe([Int32Array.from([1]), Int32Array.from([9])], { vocabSize: 10, baseVocabSize: 8, specialTokens: [] }),
    /piece 1: base id 9/,
  );
  assert.throws(() => trainBpe([], { vocabSize: 10, baseVocabSize: 8, specialTokens: [baseChar(3)] }), /special token/);
});

test('matches the reference trainer on random corpora (with and without max token length)', () => {
  fc.assert(
    fc.property(
      corpusArb(6),
      fc.integer({ min: 5, max: 60 }),
      fc.constantFrom(undefined, 3, 4, 7),
      (pieces, vocabSize, maxTokenLength) => {
        const options = { vocabSize, baseVocabSize: 6, specialTokens: ['<PAD>', '<CLS>'], maxTokenLength };
        const model = trainBpe(pieces, options);
        const ref = referenceTrain(pieces, options);
        assert.deepEqual(mergeStrings(model), ref.merges);
        assert.deepEqual(model.tokens, ref.tokens);
      },
    ),
    { numRuns: 150 },
  );
});

test("matches Hugging Face's Rust BpeTrainer (npm tokenizers) merge for merge", async (t) => {
  const require = createRequire(import.meta.url);
  let hf: typeof import('tokenizers');
  try {
    hf = require('tokenizers') as typeof import('tokenizers');
  } catch {
    t.skip('npm package `tokenizers` (Hugging Face Rust bindings) is not installed');
    return;
  }
  // A corpus with long repeats and the whitespace-like characters of base ids 33 (U+0085) and 60 (U+00A0).
  let seed = 7;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const pieces: Int32Array[] = [];
  for (let p = 0; p < 40; p++) {
    const a = new Int32Array(1 + Math.floor(rand() * 500));
    let s = 0;
    for (let i = 0; i < a.length; i++)
      a[i] = s =
        rand() < 0.7 ? (s * 7 + 3) % 50 : rand() < 0.2 ? 33 + 27 * Math.floor(rand() * 2) : Math.floor(rand() * 50);
    pieces.push(a);
  }
  const dir = tempDir('bpe');
  const corpus = join(dir, 'corpus.txt');
  writeFileSync(corpus, pieces.map(baseIdsToText).join('\n') + '\n');
  const split = (s: string) => ({ type: 'Split', pattern: { String: s }, behavior: 'Removed', invert: false });
  const empty = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    post_processor: null,
    decoder: null,
    pre_tokenizer: { type: 'Sequence', pretokenizers: [split('\n'), split(' ')] },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      vocab: {},
      merges: [],
    },
  };
  // The binding's train() uses BpeTrainer's defaults: vocab 30,000, no specials, no length limit.
  const tok = hf.Tokenizer.fromString(JSON.stringify(empty));
  tok.train([corpus]);
  tok.save(join(dir, 'hf.json'));
  const trained = JSON.parse(readFileSync(join(dir, 'hf.json'), 'utf8')) as {
    model: { vocab: Record<string, number>; merges: Array<[string, string] | string> };
  };
  const hfMerges = trained.model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m));
  const hfTokens = Object.entries(trained.model.vocab)
    .sort((x, y) => x[1] - y[1])
    .map(([s]) => s);
  const model = trainBpe(pieces, { vocabSize: 30000, baseVocabSize: 100, specialTokens: [] });
  assert.ok(hfMerges.length > 500, `Rust trainer learned only ${hfMerges.length} merges`);
  assert.deepEqual(mergeStrings(model), hfMerges);
  assert.deepEqual(model.tokens, hfTokens);
});
