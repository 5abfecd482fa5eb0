// Tests the reference-compatible 'exptime' scheme: vocabulary against the reference description, numpy
// rounding and velocity bins against numpy-computed values, hand-worked token sequences from the doc, and
// random note sets against a literal model of the reference's tokenize/untokenize (roundtrip-check.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { allocNotes, notesFrom, type Notes } from '../../src/midi/notes.js';
import { EXPTIME_DEFAULTS, ExpTimeTokenizer, roundHalfEven } from '../../src/tokenizer/exptime.js';
import { createScheme, tokenNames } from '../../src/tokenizer/schemes.js';
import { VelocityBins } from '../../src/tokenizer/velocity.js';
import { checkExpTime, plain, pyRound, referenceBin, referenceEdges, type PlainNote } from './roundtrip-check.js';

const scheme = new ExpTimeTokenizer();

function names(notes: Notes): string {
  return tokenNames(scheme, scheme.encode(notes));
}

/** The reference's tokenize(), step by step as described: float times, stable sorts, greedy steps. */
function referenceTokenize(list: PlainNote[]): string[] {
  const u = 0.01;
  const edges = referenceEdges(20);
  const rows = list
    .filter((n) => n.pitch >= 21 && n.pitch <= 108)
    .map((n) => {
      const start = pyRound(n.start / u) * u;
      let end = pyRound(n.end / u) * u;
      if (end === start) end += u;
      return { pitch: n.pitch, bin: referenceBin(edges, n.velocity), start, end };
    });
  rows.sort((a, b) => a.pitch - b.pitch);
  const events = [
    ...rows.map((r) => ({ ...r, time: r.end, on: false })),
    ...rows.map((r) => ({ ...r, time: r.start, on: true })),
  ];
  events.sort((a, b) => a.time - b.time);
  const tokens: string[] = [];
  let previous = 0;
  for (const e of events) {
    let steps = pyRound((e.time - previous) / u);
    for (const size of [64, 32, 16, 8, 4, 2, 1]) {
      while (steps >= size) {
        tokens.push(`${size}T`);
        steps -= size;
      }
    }
    if (e.on) tokens.push(`VELOCITY_${e.bin}`, `NOTE_ON_${e.pitch}`);
    else tokens.push(`NOTE_OFF_${e.pitch}`);
    previous = e.time;
  }
  return tokens;
}

/** Notes in exactly the given order (notesFrom would sort them). */
function notesInOrder(list: PlainNote[]): Notes {
  const n = allocNotes(list.length);
  list.forEach((x, i) => {
    n.pitch[i] = x.pitch;
    n.velocity[i] = x.velocity;
    n.start[i] = x.start;
    n.end[i] = x.end;
  });
  return n;
}

// Times on the 5 ms half-step lattice hit numpy's round-half cases; arbitrary doubles hit everything else.
const time = (max: number) =>
  fc.oneof(
    fc.integer({ min: 0, max: max * 200 }).map((k) => k * 0.005),
    fc.double({ min: 0, max, noNaN: true }),
  );
const noteArb = fc
  .record({
    pitch: fc.integer({ min: 15, max: 115 }),
    velocity: fc.integer({ min: 1, max: 127 }),
    start: time(20),
    length: time(3),
  })
  .filter((n) => n.length > 0)
  .map((n) => ({ pitch: n.pitch, velocity: n.velocity, start: n.start, end: n.start + n.length }));
const notesArb = fc.record({ list: fc.array(noteArb, { maxLength: 60 }), sorted: fc.boolean() });

test('vocabulary: the reference names in the reference order, 1,229 tokens', () => {
  const expected = ['<PAD>', '<CLS>'];
  for (let p = 21; p <= 108; p++) expected.push(`NOTE_ON_${p}`, `NOTE_OFF_${p}`);
  for (let b = 0; b < 20; b++) expected.push(`VELOCITY_${b}`);
  expected.push('1T', '2T', '4T', '8T', '16T', '32T', '64T');
  for (let i = 0; i < 1024; i++) expected.push(`<PLACEHOLDER_${i}>`);
  assert.deepEqual(scheme.vocab, expected);
  assert.equal(scheme.vocab.length, 1229);
  assert.equal(scheme.vocab[scheme.padId], '<PAD>');
});

test('rounding matches numpy np.round(x / 0.01) (values computed with numpy 2.4.6)', () => {
  const xs = [0.005, 0.015, 0.025, 0.035, 0.045, 1.005, 2.675, 0.125, 0.135, 10.005, 0.0049999, 123.455];
  const numpy = [0, 2, 2, 4, 4, 100, 268, 12, 14, 1001, 0, 12346];
  assert.deepEqual(
    xs.map((x) => roundHalfEven(x / 0.01)),
    numpy,
  );
  fc.assert(fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), (x) => roundHalfEven(x) === pyRound(x)));
});

test('velocity bins match numpy digitize on floor(linspace(0, 128, 21)), midpoints as int()', () => {
  const v = new VelocityBins(20);
  assert.deepEqual(
    [...v.edges],
    [0, 6, 12, 19, 25, 32, 38, 44, 51, 57, 64, 70, 76, 83, 89, 96, 102, 108, 115, 121, 128],
  );
  assert.deepEqual(
    [0, 1, 5, 6, 7, 63, 64, 127].map((x) => v.bin(x)),
    [0, 0, 0, 1, 1, 9, 10, 19],
  );
  assert.deepEqual(
    Array.from({ length: 20 }, (_, b) => v.velocity(b)),
    [3, 9, 15, 22, 28, 35, 41, 47, 54, 60, 67, 73, 79, 86, 92, 99, 105, 111, 118, 124],
  );
  for (const n of [1, 3, 7, 20, 33, 64, 100, 128]) {
    const bins = new VelocityBins(n);
    const edges = referenceEdges(n);
    for (let x = 0; x < 128; x++) assert.equal(bins.bin(x), referenceBin(edges, x), `${n} bins, velocity ${x}`);
  }
});

test('hand-worked: a 1.37 s gap is 64T 64T 8T 1T', () => {
  const n = notesFrom([{ pitch: 60, velocity: 80, start: 0, end: 1.37 }]);
  assert.equal(names(n), 'VELOCITY_12 NOTE_ON_60 64T 64T 8T 1T NOTE_OFF_60');
});

test('hand-worked: note-offs before note-ons at equal times, ascending pitch, gaps from the previous event', () => {
  const n = notesFrom([
    { pitch: 60, velocity: 10, start: 0, end: 0.5 },
    { pitch: 64, velocity: 70, start: 0.5, end: 1.0 },
    { pitch: 62, velocity: 127, start: 0.502, end: 0.6 },
  ]);
  assert.equal(
    names(n),
    'VELOCITY_1 NOTE_ON_60 32T 16T 2T NOTE_OFF_60 VELOCITY_19 NOTE_ON_62 VELOCITY_11 NOTE_ON_64 8T 2T NOTE_OFF_62 32T 8T NOTE_OFF_64',
  );
});

test('hand-worked: a note rounding to zero length gets one step; pitches outside 21..108 are skipped and counted', () => {
  const n = notesFrom([
    { pitch: 20, velocity: 64, start: 0, end: 1 },
    { pitch: 60, velocity: 64, start: 0.101, end: 0.104 },
    { pitch: 109, velocity: 64, start: 0.2, end: 1 },
  ]);
  assert.equal(names(n), '8T 2T VELOCITY_10 NOTE_ON_60 1T NOTE_OFF_60');
  assert.equal(scheme.skippedNotes(n), 2);
  const back = plain(scheme.decode(scheme.encode(n)));
  assert.equal(back.length, 1);
  assert.ok(Math.abs(back[0].start - 0.1) < 1e-12 && Math.abs(back[0].end - 0.11) < 1e-12);
  assert.equal(back[0].velocity, 67);
});

test('float ties as in the reference: 0.05 + 0.01 > 0.06 in float64, so that note-off sorts after a note-on at 0.06', () => {
  // numpy: np.round(0.052 / 0.01) * 0.01 + 0.01 == 0.060000000000000005, np.round(0.06 / 0.01) * 0.01 == 0.06.
  const n = notesFrom([
    { pitch: 60, velocity: 64, start: 0.05, end: 0.052 },
    { pitch: 50, velocity: 64, start: 0.06, end: 0.2 },
  ]);
  assert.equal(names(n), '4T 1T VELOCITY_10 NOTE_ON_60 1T VELOCITY_10 NOTE_ON_50 NOTE_OFF_60 8T 4T 2T NOTE_OFF_50');
});

test('decode rules: a re-struck pitch closes the open note, stray offs and unclosed notes vanish, specials are skipped', () => {
  const ids = (s: string) => s.split(' ').map((t) => scheme.vocab.indexOf(t));
  const got = plain(
    scheme.decode(
      ids(
        '<CLS> NOTE_OFF_61 VELOCITY_5 NOTE_ON_60 4T NOTE_ON_60 2T NOTE_OFF_60 NOTE_OFF_60 NOTE_ON_70 <PLACEHOLDER_3>',
      ),
    ),
  );
  assert.deepEqual(
    got.map((n) => [n.pitch, n.velocity, Math.round(n.start * 100), Math.round(n.end * 100)]),
    [
      [60, 35, 0, 4],
      [60, 35, 4, 6],
    ],
  );
  // Ties are re-sorted as the reference does: an off written after an on at the same time is applied first.
  const tie = plain(scheme.decode(ids('VELOCITY_5 NOTE_ON_60 4T NOTE_ON_60 NOTE_OFF_60 2T NOTE_OFF_60')));
  assert.deepEqual(
    tie.map((n) => [Math.round(n.start * 100), Math.round(n.end * 100)]),
    [
      [0, 4],
      [4, 6],
    ],
  );
});

test('property: encode gives the reference token sequence, for sorted and unsorted input', () => {
  fc.assert(
    fc.property(notesArb, ({ list, sorted }) => {
      const input = sorted ? notesFrom(list) : notesInOrder(list);
      assert.deepEqual(names(input).split(' ').filter(Boolean), referenceTokenize(plain(input)));
    }),
    { numRuns: 400 },
  );
});

test('property: decode(encode(x)) is the reference pairing of the quantized notes, each within 5 ms', () => {
  fc.assert(
    fc.property(notesArb, ({ list }) => {
      const input = notesFrom(list);
      checkExpTime(input, scheme.decode(scheme.encode(input)), EXPTIME_DEFAULTS, 'random');
    }),
    { numRuns: 400 },
  );
});

test('parameters rebuild the same tokenizer; bad parameters are named', () => {
  const custom = createScheme('exptime', {
    timeUnit: 0.005,
    velocityBins: 8,
    minPitch: 30,
    maxPitch: 90,
    placeholders: 4,
  });
  const again = createScheme('exptime', custom.params);
  assert.deepEqual(again.vocab, custom.vocab);
  assert.ok(custom.vocab.includes('128T') && !custom.vocab.includes('256T'));
  const n = notesFrom([{ pitch: 40, velocity: 100, start: 0.0125, end: 0.7 }]);
  assert.deepEqual(again.encode(n), custom.encode(n));
  checkExpTime(n, custom.decode(custom.encode(n)), custom.params as typeof EXPTIME_DEFAULTS, 'custom');
  assert.throws(() => createScheme('exptime', { alpha: 3 }), /no parameter 'alpha'/);
  assert.throws(() => createScheme('exptime', { velocityBins: 0 }), /velocity bins/);
});
