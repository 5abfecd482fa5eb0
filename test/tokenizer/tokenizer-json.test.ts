// tokenizer.json: a BPE trained by motif loads in @huggingface/tokenizers (JS) and in Hugging Face's Rust
// tokenizers (npm `tokenizers`), and both give exactly motif's ids on random and real (ASAP) sequences;
// the JSON round-trips; malformed files are rejected with the file named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Tokenizer } from '@huggingface/tokenizers';
import { readMidi } from '../../src/midi/read.js';
import { applySustain } from '../../src/midi/sustain.js';
import { openDataset, selectSplit } from '../../src/data/dataset.js';
import { createScheme } from '../../src/tokenizer/schemes.js';
import { trainBpe } from '../../src/tokenizer/bpe-train.js';
import { BpeCodec, CHAR_OFFSET, baseIdsToText, type BpeModel } from '../../src/tokenizer/bpe.js';
import { fromTokenizerJson, toTokenizerJson, type TokenizerJson } from '../../src/tokenizer/tokenizer-json.js';
import { ASAP } from '../helpers/asap.js';

const SPECIALS = ['<PAD>', '<CLS>', '<EOS>', '<MASK>'];
const scheme = createScheme('exptime');
const V = scheme.vocab.length;

/** Base ids of the ASAP train-split performances (sustain applied), `limit` files at most (empty without the data). */
function asapPieces(limit: number): Int32Array[] {
  if (!existsSync(ASAP)) return [];
  return selectSplit(openDataset(ASAP), 'train')
    .slice(0, limit)
    .map((item) => scheme.encode(applySustain(readMidi(readFileSync(item.path), item.path))));
}

/** Random base sequences over the scheme's musical ids, including 33 (U+0085) and 60 (U+00A0), which whitespace splitting would eat. */
function randomPieces(count: number, seed: number, alphabet: readonly number[]): Int32Array[] {
  let s = seed;
  const rand = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return Array.from({ length: count }, () =>
    Int32Array.from({ length: Math.floor(rand() * 700) }, () =>
      rand() < 0.1 ? [33, 60][Math.floor(rand() * 2)] : alphabet[Math.floor(rand() * alphabet.length)],
    ),
  );
}

const musical = scheme.vocab.flatMap((name, id) => (name.startsWith('<') ? [] : [id]));
const meta = { scheme: scheme.name, params: { ...scheme.params }, maxTokenLength: 128 };

/** Checks that both Hugging Face implementations give motif's ids (and the JS one decodes back) on every sequence. */
async function assertSameIds(model: BpeModel, sequences: Int32Array[]): Promise<void> {
  const codec = new BpeCodec(model);
  const json = toTokenizerJson(model, meta);
  const js = new Tokenizer(JSON.parse(JSON.stringify(json)), {});
  let rust: { encode(text: string): Promise<{ getIds(): number[] }> } | undefined;
  try {
    rust = (createRequire(import.meta.url)('tokenizers') as typeof import('tokenizers')).Tokenizer.fromString(
      JSON.stringify(json),
    );
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
    console.log('# npm package `tokenizers` (Rust) not installed: checked against @huggingface/tokenizers only');
  }
  for (const [k, ids] of sequences.entries()) {
    const ours = Array.from(codec.encode(ids));
    const text = baseIdsToText(ids);
    const theirs = js.encode(text, { add_special_tokens: false }).ids;
    assert.deepEqual(theirs, ours, `sequence ${k} (${ids.length} base tokens): @huggingface/tokenizers differs`);
    if (rust) assert.deepEqual((await rust.encode(text)).getIds(), ours, `sequence ${k}: Rust tokenizers differs`);
    if (ours.length > 0) {
      const decoded = js.decode(ours);
      assert.deepEqual(
        Array.from(decoded as string, (c) => c.charCodeAt(0) - CHAR_OFFSET),
        Array.from(ids),
        `sequence ${k}: decode differs`,
      );
    }
  }
}

test('a 2,000-token BPE loads in Hugging Face tokenizers (JS and Rust) with identical ids', async (t) => {
  const real = asapPieces(6);
  if (real.length === 0) t.diagnostic(`${ASAP} not found: random sequences only`);
  const corpus = [...real.map((p) => p.subarray(0, 6000)), ...randomPieces(40, 1, musical)];
  const model = trainBpe(corpus, {
    vocabSize: 2000,
    baseVocabSize: V,
    specialTokens: SPECIALS,
    initialAlphabet: musical,
    maxTokenLength: 128,
  });
  assert.equal(model.tokens.length, 2000);
  await assertSameIds(model, [...real, ...randomPieces(60, 2, musical)]);
});

test('30,000 tokens on the whole ASAP train split: identical ids in Hugging Face tokenizers on a sample', async (t) => {
  const real = asapPieces(Infinity);
  if (real.length === 0) {
    t.skip(`${ASAP} not found`);
    return;
  }
  const model = trainBpe(real, {
    vocabSize: 30000,
    baseVocabSize: V,
    specialTokens: SPECIALS,
    initialAlphabet: musical,
    maxTokenLength: 128,
  });
  assert.equal(model.tokens.length, 30000);
  await assertSameIds(model, [...real.filter((_, i) => i % 35 === 0), ...randomPieces(20, 3, musical)]);
});

test('toJSON → fromJSON round-trips the model and the metadata; the metadata is where Rust accepts it', () => {
  const model = trainBpe(randomPieces(10, 4, musical), { vocabSize: 700, baseVocabSize: V, specialTokens: SPECIALS });
  const json = JSON.parse(JSON.stringify(toTokenizerJson(model, meta))) as TokenizerJson;
  const back = fromTokenizerJson(json, 'x.json');
  assert.deepEqual(back.model.tokens, model.tokens);
  assert.deepEqual(back.model.merges, model.merges);
  assert.equal(back.model.specialCount, 4);
  assert.deepEqual(back.meta.params, scheme.params);
  assert.equal(back.meta.scheme, 'exptime');
  assert.deepEqual(Object.keys(json).sort(), [
    'added_tokens',
    'decoder',
    'model',
    'normalizer',
    'padding',
    'post_processor',
    'pre_tokenizer',
    'truncation',
    'version',
  ]);
  // Legacy "a b" merge strings read the same.
  const legacy = { ...json, model: { ...json.model, merges: json.model.merges.map(([a, b]) => `${a} ${b}`) } };
  assert.deepEqual(fromTokenizerJson(legacy, 'x.json').model.merges, model.merges);
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the cases below break the file's shape on purpose
type Loose = any;

test('malformed tokenizer.json files are rejected with the file and the problem named', () => {
  const model = trainBpe(randomPieces(3, 5, musical), { vocabSize: 400, baseVocabSize: V, specialTokens: SPECIALS });
  const good = () => JSON.parse(JSON.stringify(toTokenizerJson(model, meta))) as Loose;
  const cases: Array<[(j: Loose) => unknown, RegExp]> = [
    [() => [], /top level is not a JSON object/],
    [(j) => ((j.version = '2.0'), j), /version is "2.0"/],
    [(j) => ((j.model.type = 'WordPiece'), j), /model.type is not "BPE"/],
    [(j) => (delete j.model.motif, j), /model.motif/],
    [(j) => ((j.model.motif.scheme = 3), j), /scheme\/params/],
    [(j) => ((j.model.motif.charOffset = 0), j), /character offset/],
    [(j) => ((j.model.merges[5] = ['<PAD>', j.model.merges[5][1]]), j), /merge 5 .* missing from the vocabulary/],
    [(j) => ((j.model.merges[2] = 'onlyone'), j), /merge 2 is not a pair/],
    [(j) => ((j.added_tokens[1].id = 7), j), /id 7/],
    [(j) => (delete j.model.vocab[Object.keys(j.model.vocab)[3]], j), /no token has id|missing from the vocabulary/],
    [(j) => ((j.model.vocab['\u0001'] = Object.keys(j.model.vocab).length + 4), j), /outside the base vocabulary/],
  ];
  for (const [mutate, message] of cases) {
    assert.throws(
      () => fromTokenizerJson(mutate(good()), 'bad.json'),
      (e: Error) => e.message.startsWith('bad.json: ') && message.test(e.message),
      String(message),
    );
  }
});
