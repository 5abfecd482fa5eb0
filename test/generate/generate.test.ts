// generate() end to end on a tiny random model: the same seed gives the same ids, another seed others;
// each stopping criterion stops; a batch of samples decodes like separate runs; a context smaller than
// the generation slides and still yields valid notes; the prompt comes back as the model read it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readMidi } from '../../src/midi/read.js';
import { applySustain } from '../../src/midi/sustain.js';
import { createScheme } from '../../src/tokenizer/schemes.js';
import { MidiTokenizer } from '../../src/tokenizer/midi-tokenizer.js';
import { Transformer } from '../../src/model/transformer.js';
import { loadPreset } from '../../src/model/config.js';
import { cropPrompt, generate } from '../../src/generate/generate.js';

const file = 'Bach/Prelude/bwv_858/VuV01M.mid';
const piece = applySustain(readMidi(readFileSync(`data/default/${file}`), file), { rule: 'musical' });
const tokenizer = MidiTokenizer.train(createScheme('exptime'), [piece], {
  vocabSize: MidiTokenizer.minVocabSize(createScheme('exptime')) + 100,
});
const model = Transformer.create({ ...loadPreset('tiny').model, vocabSize: tokenizer.vocabSize, maxLen: 48 }, 1);
const prompt = cropPrompt(piece, 2);

test('the same seed gives the same continuation, another seed another', () => {
  const a = generate(model, tokenizer, { prompt, maxTokens: 30, seed: 3 });
  const b = generate(model, tokenizer, { prompt, maxTokens: 30, seed: 3 });
  const c = generate(model, tokenizer, { prompt, maxTokens: 30, seed: 4 });
  assert.deepEqual(a.samples[0].ids, b.samples[0].ids);
  assert.notDeepEqual(a.samples[0].ids, c.samples[0].ids);
  assert.equal(a.samples[0].ids.length, 30);
  assert.equal(a.samples[0].repairs, 0, 'masked sampling needs no repair');
});

test('stopping: tokens, notes and seconds of music past the prompt', () => {
  const byNotes = generate(model, tokenizer, { prompt, maxNotes: 5, seed: 1 }).samples[0];
  assert.equal(byNotes.progress.notes, 5);
  const bySeconds = generate(model, tokenizer, { prompt, maxSeconds: 1.5, seed: 1 }).samples[0];
  assert.ok(bySeconds.progress.seconds >= 1.5, `stopped at ${bySeconds.progress.seconds} s`);
  const stepBack = generate(model, tokenizer, { prompt, maxTokens: bySeconds.ids.length - 1, seed: 1 }).samples[0];
  assert.ok(stepBack.progress.seconds < 1.5, 'one token earlier it had not reached the time');
});

test('a batch of samples decodes like each sample on its own, and samples differ', () => {
  const batch = generate(model, tokenizer, { prompt, maxTokens: 25, seed: 9, samples: 3 });
  assert.equal(batch.samples.length, 3);
  assert.notDeepEqual(batch.samples[0].ids, batch.samples[1].ids);
  // Stream 0 of a batch draws from the same generator as a single-sample run of the same seed.
  assert.deepEqual(batch.samples[0].ids, generate(model, tokenizer, { prompt, maxTokens: 25, seed: 9 }).samples[0].ids);
});

test('a generation longer than the context slides, says so, and stays valid', () => {
  const slides: number[] = [];
  const tokens: number[] = [];
  const g = generate(model, tokenizer, {
    prompt,
    maxTokens: 120,
    seed: 2,
    samples: 2,
    maskInvalid: true,
    onSlide: (at) => slides.push(at),
    onToken: (s, id) => {
      if (s === 0) tokens.push(id);
    },
  });
  assert.ok(g.slides >= 2 && slides.length === g.slides, `${g.slides} slides`);
  assert.deepEqual(Int32Array.from(tokens), g.samples[0].ids, 'onToken saw every id in order');
  for (const s of g.samples) {
    assert.equal(s.repairs, 0);
    for (let i = 0; i < s.notes.length; i++) assert.ok(s.notes.end[i] > s.notes.start[i]);
  }
});

test('the output starts with the prompt as tokenized; the continuation starts at 0', () => {
  const g = generate(model, tokenizer, { prompt, maxNotes: 10, seed: 5 });
  const heard = tokenizer.decode(tokenizer.encode(prompt));
  const out = g.samples[0].notes;
  for (let i = 0; i < heard.length; i++) assert.equal(out.pitch[i], heard.pitch[i]);
  assert.ok(g.promptSeconds > 1.5 && g.promptSeconds <= 2.01, `prompt ${g.promptSeconds} s`);
  const cont = g.samples[0].continuation;
  assert.ok(cont.length >= 1 && cont.start[0] >= 0);
  assert.ok(out.length >= heard.length + 1);
});

test('without a prompt it starts from <CLS>; bad options are refused', () => {
  const g = generate(model, tokenizer, { maxTokens: 10 });
  assert.deepEqual(Array.from(g.promptIds), [tokenizer.bosId]);
  assert.throws(() => generate(model, tokenizer, { samples: 0 }), /samples must be a positive integer/);
  assert.throws(() => generate(model, tokenizer, { temperature: -1 }), /temperature/);
  const other = Transformer.create({ ...loadPreset('tiny').model }, 1);
  assert.throws(() => generate(other, tokenizer, {}), /not trained together/);
});
