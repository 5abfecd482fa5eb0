// Tests the paper's log-binned 'logbin' scheme: the bin formula, the vocabulary layout, long gaps, error
// feedback (no drift over many gaps), same-pitch overlaps, and the round-trip bound on random note sets
// (the bound and its plain model live in roundtrip-check.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { notesFrom } from '../../src/midi/notes.js';
import { LOGBIN_DEFAULTS, LogBinTokenizer } from '../../src/tokenizer/logbin.js';
import { createScheme, tokenNames } from '../../src/tokenizer/schemes.js';
import { checkLogBin, plain } from './roundtrip-check.js';

const scheme = new LogBinTokenizer();
const { alpha, eps, bins } = LOGBIN_DEFAULTS;
const formulaBin = (dt: number): number => Math.floor(alpha * Math.log(1 + dt / eps));

test('vocabulary: exptime layout with TIME_1..TIME_{bins-1} as the time tokens', () => {
  const expected = ['<PAD>', '<CLS>'];
  for (let p = 21; p <= 108; p++) expected.push(`NOTE_ON_${p}`, `NOTE_OFF_${p}`);
  for (let b = 0; b < 20; b++) expected.push(`VELOCITY_${b}`);
  for (let b = 1; b < bins; b++) expected.push(`TIME_${b}`);
  for (let i = 0; i < 1024; i++) expected.push(`<PLACEHOLDER_${i}>`);
  assert.deepEqual(scheme.vocab, expected);
});

test('bin(dt) is floor(alpha * log(1 + dt / eps)), and the defaults give 10 ms small-gap bins and a last bin ending near 1 s', () => {
  fc.assert(
    fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (dt) => {
      const b = scheme.bin(dt);
      const f = Math.min(formulaBin(dt), bins - 1);
      // Right at an edge the float formula may round either way; the edge table decides there.
      const nearEdge = Math.abs(alpha * Math.log1p(dt / eps) - Math.round(alpha * Math.log1p(dt / eps))) < 1e-9;
      if (!nearEdge) assert.equal(b, f, `dt ${dt}`);
      assert.ok(scheme.edges[b] <= dt && (dt < scheme.edges[b + 1] || b === bins - 1));
    }),
    { numRuns: 2000 },
  );
  assert.ok(Math.abs(scheme.edges[1] - 0.01) < 0.001, `first edge ${scheme.edges[1]}`);
  assert.ok(
    scheme.edges[bins] > 1 && scheme.edges[bins - 1] < 1,
    `last bin [${scheme.edges[bins - 1]}, ${scheme.edges[bins]})`,
  );
});

test('one time token per gap, from the formula; gaps beyond the last bin repeat its token', () => {
  const one = notesFrom([{ pitch: 60, velocity: 80, start: 0.3, end: 0.75 }]);
  // First gap 0.3 s from time 0; the second is measured from where the decoder will be, not from 0.3.
  const firstBin = formulaBin(0.3);
  const decodedOn = scheme.representative[firstBin];
  assert.equal(
    tokenNames(scheme, scheme.encode(one)),
    `TIME_${firstBin} VELOCITY_12 NOTE_ON_60 TIME_${formulaBin(0.75 - decodedOn)} NOTE_OFF_60`,
  );
  const far = notesFrom([{ pitch: 60, velocity: 80, start: 3.5, end: 3.6 }]);
  const tokens = tokenNames(scheme, scheme.encode(far)).split(' ');
  assert.deepEqual(tokens.slice(0, 3), [`TIME_${bins - 1}`, `TIME_${bins - 1}`, `TIME_${bins - 1}`]);
  checkLogBin(far, scheme.decode(scheme.encode(far)), LOGBIN_DEFAULTS, 'far');
});

test('error feedback: 300 equal gaps of 123 ms do not drift', () => {
  const list = Array.from({ length: 300 }, (_, i) => ({
    pitch: 60 + (i % 12),
    velocity: 64,
    start: i * 0.123,
    end: i * 0.123 + 0.1,
  }));
  const back = plain(scheme.decode(scheme.encode(notesFrom(list))));
  const b = formulaBin(0.123);
  const halfWidth = (scheme.edges[b + 1] - scheme.edges[b]) / 2;
  const worst = Math.max(...back.map((n, i) => Math.abs(n.start - list[i].start)));
  // Without feedback the error would grow by up to halfWidth per gap (about 300 · 3 ms here).
  assert.ok(worst <= 2 * halfWidth, `worst start error ${worst} vs half bin width ${halfWidth}`);
});

test('same-pitch overlap: the earlier note ends at the re-strike; a duplicate onset keeps the later note', () => {
  const n = notesFrom([
    { pitch: 60, velocity: 30, start: 0, end: 1 },
    { pitch: 60, velocity: 90, start: 0.5, end: 0.8 },
    { pitch: 64, velocity: 30, start: 0.2, end: 0.4 },
    { pitch: 64, velocity: 100, start: 0.2, end: 0.3 },
  ]);
  assert.equal(scheme.skippedNotes(n), 1);
  const back = plain(scheme.decode(scheme.encode(n)));
  assert.deepEqual(
    back.map((x) => [x.pitch, x.velocity]),
    [
      [60, 28],
      [64, 99],
      [60, 92],
    ],
  );
  checkLogBin(n, scheme.decode(scheme.encode(n)), LOGBIN_DEFAULTS, 'overlap');
});

test('decode: events apply in token order, and an on/off pair at one time gets the first bin edge as length', () => {
  const ids = (s: string) => s.split(' ').map((t) => scheme.vocab.indexOf(t));
  const got = plain(scheme.decode(ids('TIME_5 NOTE_ON_60 NOTE_OFF_60 NOTE_ON_62 TIME_3 NOTE_OFF_62')));
  assert.equal(got.length, 2);
  assert.ok(Math.abs(got[0].end - got[0].start - scheme.edges[1]) < 1e-12);
  assert.ok(Math.abs(got[1].end - got[1].start - scheme.representative[3]) < 1e-12);
});

const time = (max: number) =>
  fc.oneof(
    fc.integer({ min: 0, max: max * 1000 }).map((k) => k * 0.001),
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

test('property: decode(encode(x)) matches x within the bound, default and random parameters', () => {
  fc.assert(
    fc.property(fc.array(noteArb, { maxLength: 60 }), (list) => {
      const input = notesFrom(list);
      checkLogBin(input, scheme.decode(scheme.encode(input)), LOGBIN_DEFAULTS, 'random');
    }),
    { numRuns: 400 },
  );
  const paramsArb = fc.record({
    alpha: fc.double({ min: 1, max: 60, noNaN: true }),
    eps: fc.double({ min: 0.005, max: 1, noNaN: true }),
    bins: fc.integer({ min: 2, max: 200 }),
    velocityBins: fc.integer({ min: 1, max: 128 }),
  });
  fc.assert(
    fc.property(paramsArb, fc.array(noteArb, { maxLength: 30 }), (params, list) => {
      const custom = new LogBinTokenizer(params);
      const input = notesFrom(list);
      checkLogBin(input, custom.decode(custom.encode(input)), custom.params, 'random params');
    }),
    { numRuns: 200 },
  );
});

test('parameters rebuild the same tokenizer; bad parameters are named', () => {
  const custom = createScheme('logbin', { alpha: 8, eps: '0.05', bins: 30, minPitch: 0, maxPitch: 127 });
  const again = createScheme('logbin', custom.params);
  assert.deepEqual(again.vocab, custom.vocab);
  const n = notesFrom([{ pitch: 5, velocity: 100, start: 0.0125, end: 0.7 }]);
  assert.deepEqual(again.encode(n), custom.encode(n));
  assert.throws(() => createScheme('logbin', { timeUnit: 3 }), /no parameter 'timeUnit'/);
  assert.throws(() => createScheme('logbin', { bins: 1 }), /bins/);
  assert.throws(() => createScheme('logbin', { eps: 'x' }), /must be a number/);
});
