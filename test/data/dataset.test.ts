// Dataset discovery on the three layouts (plain folder, ASAP metadata.csv, MAESTRO v3 csv/json), built in temp folders.
// Discovery never reads MIDI, so the files here only need to exist; reading is tested in encode/tokenize tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDataset, selectSplit } from '../../src/data/dataset.js';
import { asapWork } from '../../src/data/metadata.js';
import { tempDir } from '../helpers/temp-dir.js';

function tree(files: Record<string, string>): string {
  const root = tempDir('ds');
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

test('a plain folder lists .mid/.midi of any case, recursively, sorted, skipping other and hidden files', () => {
  const root = tree({ 'b/x.MID': 'M', 'a.midi': 'M', 'c/d/e.Midi': 'M', 'notes.txt': 'no', '.hidden/h.mid': 'M', 'f.mid.bak': 'no' });
  const ds = openDataset(root);
  assert.equal(ds.layout, 'folder');
  assert.deepEqual(
    ds.items.map((i) => i.id),
    ['a.midi', 'b/x.MID', 'c/d/e.Midi'],
  );
  assert.equal(ds.items[1].path, join(root, 'b', 'x.MID'));
  assert.equal(ds.items[0].split, undefined);
});

test('an empty folder and a missing path are errors naming the path', () => {
  const root = tree({ 'readme.txt': 'x' });
  assert.throws(() => openDataset(root), (e: Error) => e.message.startsWith(root) && /no MIDI files/.test(e.message));
  assert.throws(() => openDataset(join(root, 'nope')), /nope: no such file or folder/);
});

const ASAP_HEADER = 'composer,title,folder,xml_score,midi_score,midi_performance,performance_annotations,midi_score_annotations,maestro_midi_performance,maestro_audio_performance,start,end,audio_performance,split';
function asapRow(composer: string, title: string, folder: string, perf: string, split: string): string {
  return [composer, title, folder, `${folder}/xml_score.musicxml`, `${folder}/midi_score.mid`, `${folder}/${perf}`, '', '', '', '', '', '', '', split].join(',');
}

test('ASAP: a folder that takes or skips a repeat performs the work of the folder without the suffix', () => {
  for (const [folder, work] of [
    ['Beethoven/Piano_Sonatas/26-1_no_repeat', 'Beethoven/Piano_Sonatas/26-1'],
    ['Beethoven/Piano_Sonatas/24-1_no_2_repeat', 'Beethoven/Piano_Sonatas/24-1'],
    ['Liszt/Gran_Etudes_de_Paganini/6_Theme_and_Variations_repeat', 'Liszt/Gran_Etudes_de_Paganini/6_Theme_and_Variations'],
    ['Schumann/Toccata_repeat', 'Schumann/Toccata'],
    ['Beethoven/Piano_Sonatas/26-1', 'Beethoven/Piano_Sonatas/26-1'],
    ['Chopin/Repeated_notes', 'Chopin/Repeated_notes'],
  ])
    assert.equal(asapWork(folder), work);
});

test('ASAP metadata.csv: performances with composer/title/piece/performer/split; scores only when asked', () => {
  const rows = [
    asapRow('Bach', 'Fugue_bwv_846', 'Bach/Fugue/bwv_846', 'Shi05M.mid', 'train'),
    asapRow('Bach', 'Fugue_bwv_846', 'Bach/Fugue/bwv_846', 'Lee01.mid', 'train'),
    asapRow('Chopin', 'Etude_10_1', 'Chopin/Etudes_op_10/1', 'Verbaite02.mid', 'test'),
    asapRow('Schumann', 'Toccata', 'Schumann/Toccata_repeat', 'Kim01.mid', 'train'),
  ];
  const root = tree({
    'metadata.csv': [ASAP_HEADER, ...rows].join('\n') + '\n',
    'Bach/Fugue/bwv_846/Shi05M.mid': 'M',
    'Bach/Fugue/bwv_846/Lee01.mid': 'M',
    'Bach/Fugue/bwv_846/midi_score.mid': 'M',
    'Chopin/Etudes_op_10/1/Verbaite02.mid': 'M',
    'Chopin/Etudes_op_10/1/midi_score.mid': 'M',
    'Schumann/Toccata_repeat/Kim01.mid': 'M',
    'Schumann/Toccata_repeat/midi_score.mid': 'M',
    'unlisted/extra.mid': 'M',
  });
  for (const path of [root, join(root, 'metadata.csv')]) {
    const ds = openDataset(path);
    assert.equal(ds.layout, 'asap');
    assert.deepEqual(
      ds.items.map((i) => [i.id, i.composer, i.piece, i.performer, i.split, i.kind]),
      [
        ['Bach/Fugue/bwv_846/Lee01.mid', 'Bach', 'Bach/Fugue/bwv_846', 'Lee', 'train', 'performance'],
        ['Bach/Fugue/bwv_846/Shi05M.mid', 'Bach', 'Bach/Fugue/bwv_846', 'Shi', 'train', 'performance'],
        ['Chopin/Etudes_op_10/1/Verbaite02.mid', 'Chopin', 'Chopin/Etudes_op_10/1', 'Verbaite', 'test', 'performance'],
        ['Schumann/Toccata_repeat/Kim01.mid', 'Schumann', 'Schumann/Toccata', 'Kim', 'train', 'performance'],
      ],
    );
    assert.equal(ds.items[0].path, join(root, 'Bach/Fugue/bwv_846/Lee01.mid'));
  }
  const withScores = openDataset(root, { includeScores: true });
  const scores = withScores.items.filter((i) => i.kind === 'score');
  assert.deepEqual(
    scores.map((i) => [i.id, i.split, i.title]),
    [
      ['Bach/Fugue/bwv_846/midi_score.mid', 'train', 'Fugue_bwv_846'],
      ['Chopin/Etudes_op_10/1/midi_score.mid', 'test', 'Etude_10_1'],
      ['Schumann/Toccata_repeat/midi_score.mid', 'train', 'Toccata'],
    ],
  );
  assert.equal(openDataset(root, { ignoreMetadata: true }).items.length, 8);
  assert.deepEqual(
    selectSplit(openDataset(root), 'test').map((i) => i.id),
    ['Chopin/Etudes_op_10/1/Verbaite02.mid'],
  );
});

const MAESTRO = [
  { canonical_composer: 'Frédéric Chopin', canonical_title: 'Ballade No. 1, Op. 23', split: 'train', year: 2004, midi_filename: '2004/a.midi', audio_filename: '2004/a.wav', duration: 512.5 },
  { canonical_composer: 'Franz Schubert', canonical_title: 'Sonata in A Major, D959 "quoted"', split: 'validation', year: 2006, midi_filename: '2006/b.midi', audio_filename: '2006/b.wav', duration: 40 },
];

function csvField(v: string | number): string {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

test('MAESTRO v3 csv (quoted commas and quotes) and json (pandas columns layout) give the same items', () => {
  const cols = Object.keys(MAESTRO[0]) as Array<keyof (typeof MAESTRO)[0]>;
  const csv = [cols.join(','), ...MAESTRO.map((r) => cols.map((c) => csvField(r[c])).join(','))].join('\r\n');
  const json = Object.fromEntries(cols.map((c) => [c, Object.fromEntries(MAESTRO.map((r, i) => [String(i), r[c]]))]));
  const csvRoot = tree({ 'maestro-v3.0.0.csv': csv, '2004/a.midi': 'M', '2006/b.midi': 'M' });
  const jsonRoot = tree({ 'maestro-v3.0.0.json': JSON.stringify(json), '2004/a.midi': 'M', '2006/b.midi': 'M' });
  const strip = (root: string) =>
    openDataset(root).items.map((i) => ({ ...i, path: i.path.slice(root.length) }));
  const fromCsv = strip(csvRoot);
  assert.equal(openDataset(csvRoot).layout, 'maestro');
  assert.deepEqual(fromCsv, strip(jsonRoot));
  assert.deepEqual(
    fromCsv.map((i) => [i.id, i.composer, i.title, i.split, i.duration]),
    MAESTRO.map((r) => [r.midi_filename, r.canonical_composer, r.canonical_title, r.split, r.duration]),
  );
  assert.equal(fromCsv[1].piece, 'Franz Schubert: Sonata in A Major, D959 "quoted"');
  // A list of records is accepted too.
  const listRoot = tree({ 'maestro-v3.0.0.json': JSON.stringify(MAESTRO) });
  assert.deepEqual(strip(listRoot), fromCsv);
});

test('a single MIDI file is a one-item dataset; other files are refused by name', () => {
  const root = tree({ 'one.mid': 'M', 'table.csv': 'a,b\n1,2\n', 'x.txt': 'x' });
  const ds = openDataset(join(root, 'one.mid'));
  assert.equal(ds.layout, 'file');
  assert.deepEqual(ds.items.map((i) => i.id), ['one.mid']);
  assert.throws(() => openDataset(join(root, 'table.csv')), /table\.csv: not a dataset table/);
  assert.throws(() => openDataset(join(root, 'x.txt')), /x\.txt: not a dataset/);
});

test('the embedded default dataset is ASAP-shaped with all three splits and files present', () => {
  const ds = openDataset(fileURLToPath(new URL('../../data/default', import.meta.url)));
  assert.equal(ds.layout, 'asap');
  assert.deepEqual(new Set(ds.items.map((i) => i.split)), new Set(['train', 'validation', 'test']));
  assert.ok(new Set(ds.items.map((i) => i.composer)).size >= 5);
  const all = openDataset(ds.root, { includeScores: true }).items;
  assert.equal(all.length, ds.items.length * 2);
  assert.deepEqual(all.filter((i) => !existsSync(i.path)), []);
});
