// EventState, the follower of a token stream: real pieces pass through unrepaired and decode as the
// tokenizer decodes them; random streams (fuzzed) never throw and always give valid notes, a MIDI
// file that motif's reader and @tonejs/midi both read note for note; and ids the mask allows never
// need a repair. Both base schemes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import toneMidi from '@tonejs/midi';
import { readMidi } from '../../src/midi/read.js';
import { applySustain } from '../../src/midi/sustain.js';
import { writeMidi } from '../../src/midi/write.js';
import type { Notes } from '../../src/midi/notes.js';
import { createScheme } from '../../src/tokenizer/schemes.js';
import { MidiTokenizer } from '../../src/tokenizer/midi-tokenizer.js';
import { EventState } from '../../src/generate/event-state.js';
import { Rng } from '../../src/util/rng.js';

const FILES = ['Bach/Prelude/bwv_858/VuV01M.mid', 'Chopin/Etudes_op_25/8/Toscano02.mid'];
const pieces: Notes[] = FILES.map((f) =>
  applySustain(readMidi(readFileSync(`data/default/${f}`), f), { rule: 'musical' }),
);

function assertValid(notes: Notes, label: string): void {
  for (let i = 0; i < notes.length; i++) {
    assert.ok(
      notes.end[i] > notes.start[i] && notes.start[i] >= 0,
      `${label}: note ${i} lasts ${notes.start[i]}..${notes.end[i]}`,
    );
    assert.ok(notes.velocity[i] >= 1 && notes.velocity[i] <= 127, `${label}: velocity ${notes.velocity[i]}`);
  }
  const bytes = writeMidi(notes);
  assert.equal(readMidi(bytes, label).notes.length, notes.length, `${label}: motif's reader`);
  const tone = new toneMidi.Midi(bytes);
  assert.equal(
    tone.tracks.reduce((a, t) => a + t.notes.length, 0),
    notes.length,
    `${label}: @tonejs/midi`,
  );
}

for (const scheme of ['exptime', 'logbin'] as const) {
  const tokenizer = MidiTokenizer.train(createScheme(scheme), pieces, {
    vocabSize: MidiTokenizer.minVocabSize(createScheme(scheme)) + 300,
  });

  test(`${scheme}: a real piece passes unrepaired and decodes as the tokenizer decodes it`, () => {
    const ids = tokenizer.encode(pieces[0]);
    const st = new EventState(tokenizer);
    st.push(tokenizer.bosId);
    for (const id of ids) {
      assert.ok(st.allows(id), `id ${id} of the real piece is masked`);
      st.push(id);
    }
    assert.equal(st.repairs, 0);
    assert.equal(st.sounding, 0, 'every note of a real piece ends');
    assert.deepEqual(tokenizer.base.decode(st.cleanIds()), tokenizer.decode(ids));
    assert.equal(st.notes, tokenizer.decode(ids).length);
  });

  test(`${scheme}: random id streams never throw and decode to valid MIDI (fuzzed)`, () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: tokenizer.vocabSize - 1 }), { maxLength: 300 }), (ids) => {
        const st = new EventState(tokenizer);
        for (const id of ids) st.push(id);
        const notes = tokenizer.base.decode(st.cleanIds());
        assert.equal(notes.length, st.notes - 0, 'every note begun is kept and closed');
        assertValid(notes, `${ids.length} random ids`);
      }),
      { numRuns: 150, seed: 42 },
    );
  });

  test(`${scheme}: ids the mask allows never need a repair; the ids it refuses would`, () => {
    const rng = new Rng(5);
    const st = new EventState(tokenizer);
    const history: number[] = [];
    const logits = new Float32Array(tokenizer.vocabSize);
    let checked = 0;
    for (let step = 0; step < 1500; step++) {
      logits.fill(0);
      st.mask(logits);
      const allowed = Array.from(logits.keys()).filter((i) => logits[i] === 0 && i !== tokenizer.eosId);
      const refused = Array.from(logits.keys()).filter((i) => logits[i] === -Infinity && i >= 4);
      if (step % 100 === 99 && refused.length > 0) {
        const replay = new EventState(tokenizer);
        for (const id of history) replay.push(id);
        replay.push(refused[rng.nextInt(refused.length)]);
        assert.ok(replay.repairs > 0, `step ${step}: a refused id went through without a repair`);
        checked++;
      }
      const id = allowed[rng.nextInt(allowed.length)];
      st.push(id);
      history.push(id);
    }
    assert.equal(st.repairs, 0);
    assert.ok(checked >= 5, 'refused ids were checked');
    assertValid(tokenizer.base.decode(st.cleanIds()), 'masked random stream');
  });
}
