// Key labels: title parsing on real title shapes, Krumhansl–Kessler on synthetic notes, and accuracy on
// ASAP (CC BY-NC-SA 4.0) pieces of known key: the Well-Tempered Clavier (key implied by the BWV number
// in the title) and a table of standard catalogue keys below. Skipped, visibly, where the data is absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readMidi } from '../../src/midi/read.js';
import { applySustain } from '../../src/midi/sustain.js';
import { notesFrom, type Notes } from '../../src/midi/notes.js';
import {
  closelyRelated,
  estimateKey,
  keyFromTitle,
  keyName,
  KRUMHANSL_KESSLER,
  labelKey,
  type Key,
} from '../../src/analysis/key.js';
import { readAsapMetadata } from '../../src/data/metadata.js';
import { ASAP, skipWithoutAsap } from '../helpers/asap.js';

const named = (k: Key | undefined) => (k ? keyName(k) : 'none');

test('keyFromTitle reads MAESTRO, ASAP-style, German and BWV titles', () => {
  const cases: Array<[string, string]> = [
    ['Sonata in C-sharp Minor, Op. 27 No. 2', 'C# minor'],
    ['Ballade No. 1 in G Minor, Op. 23', 'G minor'],
    ['Waltz_in_A-flat_major_Op_42', 'Ab major'],
    ['Prelude and Fugue in D Major, WTC I, BWV 850', 'D major'],
    ['Etude Op. 10 No. 5 in G-flat Major', 'F# major'],
    ['Nocturne in Eb major', 'Eb major'],
    ['Impromptu in B-flat minor', 'Bb minor'],
    ['Scherzo F# minor', 'F# minor'],
    ['Sonate fis-moll', 'F# minor'],
    ['Sonate Es-Dur', 'Eb major'],
    ['Fugue_bwv_846', 'C major'],
    ['Fugue_bwv_848', 'Db major'],
    ['Prelude_bwv_867', 'Bb minor'],
    ['Fugue_bwv_893', 'B minor'],
    ['Prelude_bwv_870', 'C major'],
    ['Piano_Sonatas_14-3', 'none'],
    ['Sonata', 'none'],
    ['Italian_concerto BWV 971', 'none'],
    ['Variations and Fugue', 'none'],
  ];
  for (const [title, expected] of cases) assert.equal(named(keyFromTitle(title)), expected, title);
});

/** Notes playing `degrees` (semitones above `tonic`) in octave 4, each lasting `weights[i]` seconds. */
function scaleNotes(tonic: number, degrees: number[], weights: number[]): Notes {
  let t = 0;
  return notesFrom(
    degrees.map((d, i) => {
      const n = { pitch: 60 + ((tonic + d) % 12), velocity: 64, start: t, end: t + weights[i] };
      t += weights[i];
      return n;
    }),
  );
}

test('Krumhansl–Kessler finds a weighted scale in every transposition, major and minor', () => {
  const major = [0, 2, 4, 5, 7, 9, 11];
  const minor = [0, 2, 3, 5, 7, 8, 11]; // harmonic minor: the leading tone separates it from the relative major
  const weights = [4, 1, 2, 1, 3, 1, 1]; // tonic, third and fifth held longest, as in real music
  for (let tonic = 0; tonic < 12; tonic++) {
    assert.equal(named(estimateKey(scaleNotes(tonic, major, weights))), keyName({ tonic, mode: 'major' }));
    assert.equal(named(estimateKey(scaleNotes(tonic, minor, weights))), keyName({ tonic, mode: 'minor' }));
  }
  assert.equal(estimateKey(notesFrom([])), undefined);
});

test('labelKey prefers the title and says where the label came from', () => {
  const cMajor = scaleNotes(0, [0, 2, 4, 5, 7, 9, 11], [4, 1, 2, 1, 3, 1, 1]);
  const fromTitle = labelKey(cMajor, 'Nocturne in B minor');
  assert.equal(fromTitle?.name, 'B minor');
  assert.equal(fromTitle?.source, 'title');
  const fromNotes = labelKey(cMajor, 'Nocturne');
  assert.equal(fromNotes?.name, 'C major');
  assert.equal(fromNotes?.source, 'notes');
  assert.ok(fromNotes.confidence > 0.5 && fromNotes.confidence <= 1);
});

test('closelyRelated accepts same, relative and parallel keys only', () => {
  const k = (s: string) => keyFromTitle(s) as Key;
  assert.ok(closelyRelated(k('C major'), k('A minor')));
  assert.ok(closelyRelated(k('A minor'), k('C major')));
  assert.ok(closelyRelated(k('C major'), k('C minor')));
  assert.ok(!closelyRelated(k('C major'), k('G major')));
  assert.ok(!closelyRelated(k('C major'), k('E minor')));
});

// Standard catalogue keys of ASAP pieces whose titles do not state them (no Beethoven/Haydn/Mozart
// movements here: inner movements change key and would test the table, not the algorithm).
const KNOWN_KEYS: Record<string, string> = {
  'Chopin/Etudes_op_10/1': 'C major',
  'Chopin/Etudes_op_10/2': 'A minor',
  'Chopin/Etudes_op_10/3': 'E major',
  'Chopin/Etudes_op_10/4': 'C# minor',
  'Chopin/Etudes_op_10/5': 'Gb major',
  'Chopin/Etudes_op_10/7': 'C major',
  'Chopin/Etudes_op_10/8': 'F major',
  'Chopin/Etudes_op_10/10': 'Ab major',
  'Chopin/Etudes_op_10/12': 'C minor',
  'Chopin/Etudes_op_25/1': 'Ab major',
  'Chopin/Etudes_op_25/4': 'A minor',
  'Chopin/Etudes_op_25/5': 'E minor',
  'Chopin/Etudes_op_25/8': 'Db major',
  'Chopin/Etudes_op_25/10': 'B minor',
  'Chopin/Etudes_op_25/11': 'A minor',
  'Chopin/Etudes_op_25/12': 'C minor',
  'Chopin/Ballades/1': 'G minor',
  'Chopin/Ballades/2': 'F major',
  'Chopin/Ballades/3': 'Ab major',
  'Chopin/Ballades/4': 'F minor',
  'Chopin/Scherzos/20': 'B minor',
  'Chopin/Scherzos/31': 'Bb minor',
  'Chopin/Scherzos/39': 'C# minor',
  'Liszt/Transcendental_Etudes/1': 'C major',
  'Liszt/Transcendental_Etudes/3': 'F major',
  'Liszt/Transcendental_Etudes/4': 'D minor',
  'Liszt/Transcendental_Etudes/5': 'Bb major',
  'Liszt/Transcendental_Etudes/9': 'Ab major',
  'Liszt/Transcendental_Etudes/10': 'F minor',
  'Liszt/Transcendental_Etudes/11': 'Db major',
  'Rachmaninoff/Preludes_op_23/4': 'D major',
  'Rachmaninoff/Preludes_op_23/6': 'Eb major',
  'Rachmaninoff/Preludes_op_32/5': 'G major',
};

interface Known {
  truth: Key;
  notes: Notes;
}

function knownKeyPerformances(): { wtc: Known[]; catalogue: Known[] } {
  const wtc: Known[] = [];
  const catalogue: Known[] = [];
  for (const item of readAsapMetadata(`${ASAP}metadata.csv`, ASAP, false)) {
    const fromTitle = item.title === undefined ? undefined : keyFromTitle(item.title);
    const listed = item.piece === undefined ? undefined : KNOWN_KEYS[item.piece];
    if (!fromTitle && !listed) continue;
    assert.ok(
      !fromTitle || /bwv/i.test(item.title ?? ''),
      `only WTC titles imply a key in ASAP, yet "${item.title}" gave ${named(fromTitle)}`,
    );
    const notes = applySustain(readMidi(readFileSync(item.path), item.path));
    if (fromTitle) wtc.push({ truth: fromTitle, notes });
    else catalogue.push({ truth: keyFromTitle(listed as string) as Key, notes });
  }
  return { wtc, catalogue };
}

function accuracy(set: Known[], profiles = KRUMHANSL_KESSLER): { exact: number; related: number } {
  let exact = 0;
  let related = 0;
  for (const { truth, notes } of set) {
    const est = estimateKey(notes, profiles);
    if (!est) continue;
    if (est.tonic === truth.tonic && est.mode === truth.mode) exact++;
    if (closelyRelated(est, truth)) related++;
  }
  return { exact: exact / set.length, related: related / set.length };
}

test(
  'key finding on ASAP performances of known key beats a lower bound that shuffled profiles miss',
  { skip: skipWithoutAsap },
  (t) => {
    const { wtc, catalogue } = knownKeyPerformances();
    assert.ok(wtc.length >= 100, `expected the WTC pieces of ASAP, found ${wtc.length} performances`);
    assert.ok(
      catalogue.length >= 200,
      `expected the catalogue-key pieces of ASAP, found ${catalogue.length} performances`,
    );
    const a = accuracy(wtc);
    const b = accuracy(catalogue);
    t.diagnostic(
      `WTC (${wtc.length} performances): exact ${a.exact.toFixed(3)}, up to relative/parallel ${a.related.toFixed(3)}`,
    );
    t.diagnostic(
      `catalogue keys (${catalogue.length} performances): exact ${b.exact.toFixed(3)}, up to relative/parallel ${b.related.toFixed(3)}`,
    );
    assert.ok(a.exact >= 0.9 && a.related >= 0.95, `WTC accuracy too low: ${JSON.stringify(a)}`);
    assert.ok(b.exact >= 0.7 && b.related >= 0.85, `catalogue accuracy too low: ${JSON.stringify(b)}`);
    // The bound must bite: the same algorithm with each profile reversed (same values, wrong degrees) fails it.
    const reversed: [number[], number[]] = [[...KRUMHANSL_KESSLER[0]].reverse(), [...KRUMHANSL_KESSLER[1]].reverse()];
    const bad = accuracy(wtc, reversed);
    assert.ok(bad.exact < 0.9, `reversed profiles should fail the WTC bound: ${JSON.stringify(bad)}`);
  },
);
