// MidiTokenizer: BPE is lossless over the base scheme (notes → ids → notes equals the base round trip), and
// special ids. Reading and writing tokenizer.json is test/data/tokenizer-file.test.ts's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { notesToArray, type Notes } from '../../src/midi/notes.js';
import { readMidi } from '../../src/midi/read.js';
import { openDataset, selectSplit } from '../../src/data/dataset.js';
import { createScheme } from '../../src/tokenizer/schemes.js';
import { MidiTokenizer, SPECIAL_TOKENS } from '../../src/tokenizer/midi-tokenizer.js';
import { ASAP } from '../helpers/asap.js';
import { gridNotes } from '../helpers/grid-notes.js';

const corpus: Notes[] = [gridNotes(600, 1), gridNotes(800, 2), gridNotes(500, 3)];
if (existsSync(ASAP))
  corpus.push(
    ...selectSplit(openDataset(ASAP), 'train')
      .slice(0, 3)
      .map((it) => readMidi(readFileSync(it.path), it.path).notes),
  );

for (const schemeName of ['exptime', 'logbin'] as const) {
  test(`${schemeName}: encode → decode equals the base scheme's own round trip`, () => {
    const base = createScheme(schemeName);
    const tok = MidiTokenizer.train(base, corpus, { vocabSize: 1500 });
    assert.equal(tok.vocabSize, 1500);
    for (const notes of [...corpus, gridNotes(300, 9)]) {
      const ids = tok.encode(notes);
      assert.ok(ids.every((id) => id >= SPECIAL_TOKENS.length && id < tok.vocabSize));
      assert.ok(ids.length < base.encode(notes).length, 'BPE should shorten the sequence');
      const expected = notesToArray(base.decode(base.encode(notes)));
      assert.deepEqual(notesToArray(tok.decode(ids)), expected);
      assert.deepEqual(
        notesToArray(tok.decode([tok.bosId, ...ids, tok.eosId, tok.padId])),
        expected,
        'special ids are skipped',
      );
    }
  });
}

test('special ids and token names', () => {
  const tok = MidiTokenizer.train(createScheme('exptime'), corpus.slice(0, 2), { vocabSize: 600 });
  assert.deepEqual([tok.padId, tok.bosId, tok.eosId, tok.maskId], [0, 1, 2, 3]);
  assert.deepEqual(
    SPECIAL_TOKENS.map((_, id) => tok.bpe.model.tokens[id]),
    [...SPECIAL_TOKENS],
  );
  const ids = tok.encode(corpus[0]);
  const names = Array.from(tok.bpe.decode(ids), (b) => tok.base.vocab[b]);
  assert.deepEqual(
    names,
    Array.from(tok.base.encode(corpus[0]), (b) => tok.base.vocab[b]),
  );
});

test('elapsed: the time before each position, so that a suffix decoded alone lands on the full decoding’s onsets', () => {
  for (const schemeName of ['exptime', 'logbin'] as const) {
    const tok = MidiTokenizer.train(createScheme(schemeName), corpus.slice(0, 2), { vocabSize: 700 });
    const ids = tok.encode(corpus[corpus.length - 1]);
    const framed = Int32Array.from([tok.bosId, ...ids, tok.eosId]);
    const t = tok.elapsed(framed);
    assert.equal(t.length, framed.length + 1);
    assert.equal(t[0], 0);
    assert.equal(t[1], 0, 'bos takes no time');
    assert.ok(
      t.every((x, i) => i === 0 || x >= t[i - 1]),
      'time never goes back',
    );
    const onsets = Array.from(tok.decode(framed).start).sort((a, b) => a - b);
    const near = (x: number) => {
      let lo = 0;
      let hi = onsets.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (onsets[mid] < x) lo = mid + 1;
        else hi = mid;
      }
      return Math.min(Math.abs(onsets[lo] - x), lo > 0 ? Math.abs(onsets[lo - 1] - x) : Infinity);
    };
    for (const k of [1, 17, Math.floor(framed.length / 3), framed.length - 40]) {
      const prefix = tok.decode(framed.subarray(0, k));
      for (let i = 0; i < prefix.length; i++)
        assert.ok(prefix.start[i] <= t[k] + 1e-9, `${schemeName}: onset after position ${k}`);
      const suffix = tok.decode(framed.subarray(k));
      assert.ok(suffix.length > 0);
      for (let i = 0; i < suffix.length; i++)
        assert.ok(
          near(suffix.start[i] + t[k]) < 1e-6,
          `${schemeName}: suffix at ${k} shifted by ${t[k]} misses an onset`,
        );
    }
  }
});
