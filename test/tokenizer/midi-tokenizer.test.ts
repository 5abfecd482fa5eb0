// MidiTokenizer: BPE is lossless over the base scheme (notes → ids → notes equals the base round trip),
// special ids, save/load through a file, and load errors that name the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { notesFrom, notesToArray, type Notes } from '../../src/midi/notes.js';
import { readMidi } from '../../src/midi/read.js';
import { openDataset, selectSplit } from '../../src/data/dataset.js';
import { createScheme } from '../../src/tokenizer/schemes.js';
import { MidiTokenizer, SPECIAL_TOKENS } from '../../src/tokenizer/midi-tokenizer.js';
import { ASAP } from '../helpers/asap.js';


/** Random performances: notes on a loose grid so that patterns repeat. */
function randomNotes(count: number, seed: number): Notes {
  let s = seed;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  let t = 0;
  return notesFrom(
    Array.from({ length: count }, () => {
      t += Math.floor(rand() * 4) * 0.125;
      return { pitch: 48 + Math.floor(rand() * 24), velocity: 40 + Math.floor(rand() * 60), start: t, end: t + 0.1 + Math.floor(rand() * 4) * 0.2 };
    }),
  );
}

const corpus: Notes[] = [randomNotes(600, 1), randomNotes(800, 2), randomNotes(500, 3)];
if (existsSync(ASAP)) corpus.push(...selectSplit(openDataset(ASAP), 'train').slice(0, 3).map((it) => readMidi(readFileSync(it.path), it.path).notes));

for (const schemeName of ['exptime', 'logbin'] as const) {
  test(`${schemeName}: encode → decode equals the base scheme's own round trip`, () => {
    const base = createScheme(schemeName);
    const tok = MidiTokenizer.train(base, corpus, { vocabSize: 1500 });
    assert.equal(tok.vocabSize, 1500);
    for (const notes of [...corpus, randomNotes(300, 9)]) {
      const ids = tok.encode(notes);
      assert.ok(ids.every((id) => id >= SPECIAL_TOKENS.length && id < tok.vocabSize));
      assert.ok(ids.length < base.encode(notes).length, 'BPE should shorten the sequence');
      const expected = notesToArray(base.decode(base.encode(notes)));
      assert.deepEqual(notesToArray(tok.decode(ids)), expected);
      assert.deepEqual(notesToArray(tok.decode([tok.bosId, ...ids, tok.eosId, tok.padId])), expected, 'special ids are skipped');
    }
  });
}

test('special ids and token names', () => {
  const tok = MidiTokenizer.train(createScheme('exptime'), corpus.slice(0, 2), { vocabSize: 600 });
  assert.deepEqual([tok.padId, tok.bosId, tok.eosId, tok.maskId], [0, 1, 2, 3]);
  assert.deepEqual(SPECIAL_TOKENS.map((_, id) => tok.tokenNames(id)[0]), [...SPECIAL_TOKENS]);
  const ids = tok.encode(corpus[0]);
  const names = Array.from(ids).flatMap((id) => tok.tokenNames(id));
  assert.deepEqual(names, Array.from(tok.base.encode(corpus[0]), (b) => tok.base.vocab[b]));
});

test('save → load gives the same tokenizer; the scheme parameters travel with it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'motif-tok-'));
  try {
    const base = createScheme('logbin', { velocityBins: 16 });
    const tok = MidiTokenizer.train(base, corpus.slice(0, 2), { vocabSize: 700 });
    const path = join(dir, 'tokenizer.json');
    tok.save(path);
    const back = MidiTokenizer.load(path);
    assert.equal(back.base.name, 'logbin');
    assert.deepEqual(back.base.params, base.params);
    assert.equal(back.vocabSize, 700);
    for (const notes of corpus) assert.deepEqual(back.encode(notes), tok.encode(notes));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('load errors name the file and the problem', () => {
  const dir = mkdtempSync(join(tmpdir(), 'motif-tok-'));
  try {
    const tok = MidiTokenizer.train(createScheme('exptime'), corpus.slice(0, 1), { vocabSize: 500 });
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const missing = join(dir, 'missing.json');
    assert.throws(() => MidiTokenizer.load(missing), (e: Error) => e.message.includes(missing) && /no such file/.test(e.message));
    const garbage = write('garbage.json', '{"version": "1.0", ');
    assert.throws(() => MidiTokenizer.load(garbage), (e: Error) => e.message.startsWith(garbage) && /not valid JSON/.test(e.message));
    const other = write('other.json', JSON.stringify({ hello: 'world' }));
    assert.throws(() => MidiTokenizer.load(other), (e: Error) => e.message.startsWith(other) && /not a motif tokenizer.json/.test(e.message));
    const json = tok.toJSON();
    const unknown = write('unknown.json', JSON.stringify({ ...json, model: { ...json.model, motif: { ...json.model.motif, scheme: 'nope' } } }));
    assert.throws(() => MidiTokenizer.load(unknown), (e: Error) => e.message.startsWith(unknown) && /scheme 'nope'/.test(e.message));
    const resized = write('resized.json', JSON.stringify({ ...json, model: { ...json.model, motif: { ...json.model.motif, params: { ...json.model.motif.params, placeholders: 8 } } } }));
    assert.throws(() => MidiTokenizer.load(resized), (e: Error) => e.message.startsWith(resized) && /base ids/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
