// tokenizer.json on disk as the pipeline reads and writes it (src/data/tokenizer-file.ts): write → read gives
// the same tokenizer with the scheme and its parameters, the text's hash, and read errors that name the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTokenizer, writeTokenizer } from '../../src/data/tokenizer-file.js';
import { createScheme } from '../../src/tokenizer/schemes.js';
import { MidiTokenizer } from '../../src/tokenizer/midi-tokenizer.js';
import { gridNotes } from '../helpers/grid-notes.js';
import { tempDir } from '../helpers/temp-dir.js';

const corpus = [gridNotes(600, 1), gridNotes(800, 2)];

test('writeTokenizer → readTokenizer gives the same tokenizer; the scheme parameters travel with it', () => {
  const dir = tempDir('tok');
  const base = createScheme('logbin', { velocityBins: 16 });
  const tok = MidiTokenizer.train(base, corpus, { vocabSize: 700 });
  const path = join(dir, 'tokenizer.json');
  writeTokenizer(tok, path);
  const file = readTokenizer(path);
  const back = file.tokenizer;
  assert.equal(back.base.name, 'logbin');
  assert.deepEqual(back.base.params, base.params);
  assert.equal(back.vocabSize, 700);
  for (const notes of corpus) assert.deepEqual(back.encode(notes), tok.encode(notes));
  assert.equal(file.sha256, createHash('sha256').update(readFileSync(path)).digest('hex'));
});

test('read errors name the file and the problem', () => {
  const dir = tempDir('tok');
  const tok = MidiTokenizer.train(createScheme('exptime'), corpus.slice(0, 1), { vocabSize: 500 });
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const missing = join(dir, 'missing.json');
  assert.throws(() => readTokenizer(missing), (e: Error) => e.message.includes(missing) && /no such file/.test(e.message));
  const garbage = write('garbage.json', '{"version": "1.0", ');
  assert.throws(() => readTokenizer(garbage), (e: Error) => e.message.startsWith(garbage) && /not valid JSON/.test(e.message));
  const other = write('other.json', JSON.stringify({ hello: 'world' }));
  assert.throws(() => readTokenizer(other), (e: Error) => e.message.startsWith(other) && /not a motif tokenizer.json/.test(e.message));
  const json = tok.toJSON();
  const unknown = write('unknown.json', JSON.stringify({ ...json, model: { ...json.model, motif: { ...json.model.motif, scheme: 'nope' } } }));
  assert.throws(() => readTokenizer(unknown), (e: Error) => e.message.startsWith(unknown) && /scheme 'nope'/.test(e.message));
  const resized = write('resized.json', JSON.stringify({ ...json, model: { ...json.model, motif: { ...json.model.motif, params: { ...json.model.motif.params, placeholders: 8 } } } }));
  assert.throws(() => readTokenizer(resized), (e: Error) => e.message.startsWith(resized) && /base ids/.test(e.message));
});
