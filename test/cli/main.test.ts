// The CLI through run() with captured output (helpers/cli.ts) (exit codes, --json shapes, --help), compared against the library
// computing the same thing; plus two real processes, to check the entry point and the exit code the shell sees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDataset } from '../../src/data/dataset.js';
import { readTokenizer } from '../../src/data/tokenizer-file.js';
import { notesFrom } from '../../src/midi/notes.js';
import { readMidi } from '../../src/midi/read.js';
import { applySustain } from '../../src/midi/sustain.js';
import { writeMidi } from '../../src/midi/write.js';
import { createScheme, tokenNames } from '../../src/tokenizer/schemes.js';
import { BAD_FILES, writeMixedDataset } from '../helpers/mixed-dataset.js';
import { BAND_DRUMS, BAND_PIANO, BAND_VIOLIN, bandFile } from '../helpers/band.js';
import { ev, smf, track } from '../helpers/smf.js';
import { motif } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

const root = tempDir('cli');
const data = join(root, 'data');
const goodIds = writeMixedDataset(data, 3);
const good = join(data, goodIds[0]);
const notMidi = join(root, 'notmidi.txt');
writeFileSync(notMidi, 'hello, I am text\n');

test('--help explains every verb and the exit codes; verbs have their own --help', async () => {
  const top = await motif('--help');
  assert.equal(top.code, 0);
  for (const verb of ['demo', 'inspect', 'tokenizer', 'tokenize', 'decode', 'Exit codes', '--json'])
    assert.ok(top.out.includes(verb), verb);
  const inspect = await motif('inspect', '--help');
  assert.equal(inspect.code, 0);
  for (const flag of ['--tokens', '--scheme', 'exptime', 'logbin', '--no-sustain', '--json'])
    assert.ok(inspect.out.includes(flag), flag);
  const train = await motif('tokenizer', 'train', '--help');
  assert.ok(train.out.includes('--vocab-size') && train.out.includes('--split'));
  assert.ok((await motif('tokenize', '--help')).out.includes('exit code is 2'));
});

test('every verb that draws progress bars takes --no-progress (logs of long runs stay clean)', () => {
  const cli = join(import.meta.dirname, '..', '..', 'src', 'cli');
  const drawing = readdirSync(cli).filter(
    (f) => f !== 'output.ts' && /\b(startProgress|stagedProgress)\(/.test(readFileSync(join(cli, f), 'utf8')),
  );
  assert.ok(drawing.length >= 6, `verbs with bars: ${drawing.join(', ')}`);
  for (const f of drawing) assert.match(readFileSync(join(cli, f), 'utf8'), /'--no-progress'/, f);
});

test('usage errors exit 1 with a message', async () => {
  const unknown = await motif('frobnicate');
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /unknown command/);
  const badNumber = await motif('tokenizer', 'train', data, '--vocab-size', 'many');
  assert.equal(badNumber.code, 1);
  assert.match(badNumber.err, /positive integer/);
  const badScheme = await motif('inspect', good, '--scheme', 'nope');
  assert.equal(badScheme.code, 1);
  const missing = await motif('tokenize', data, '--tokenizer', join(root, 'none.json'), '--out', join(root, 'x'));
  assert.equal(missing.code, 1);
  assert.match(missing.err, /none\.json: cannot read tokenizer \(no such file\)/);
  const noSplit = await motif('tokenizer', 'train', data, '--split', 'train');
  assert.equal(noSplit.code, 1);
  assert.match(noSplit.err, /no items in split 'train' \(this dataset has no splits\)/);
  // A vocabulary below the base alphabet is refused (it used to come back larger than asked); 'base' asks for no merges.
  const tooSmall = await motif('tokenizer', 'train', data, '--vocab-size', '5', '--out', join(root, 'small.json'));
  assert.equal(tooSmall.code, 1);
  assert.match(tooSmall.err, /--vocab-size 5 is below the 207 tokens of the 'exptime' scheme alone.*'base'/);
  assert.ok(!existsSync(join(root, 'small.json')));
  const base = JSON.parse(
    (await motif('tokenizer', 'train', data, '--vocab-size', 'base', '--out', join(root, 'base.json'), '--json')).out,
  );
  assert.equal(base.vocabSize, 207);
});

test('inspect: a non-MIDI file is named, exit 1; the summary and tokens match the library', async () => {
  const bad = await motif('inspect', notMidi);
  assert.equal(bad.code, 1);
  assert.ok(bad.err.startsWith(`${notMidi}: not a MIDI file`), bad.err);
  assert.equal(bad.out, '');

  const perf = readMidi(readFileSync(good), good);
  const notes = applySustain(perf, { rule: 'musical' });
  for (const scheme of ['exptime', 'logbin'] as const) {
    const ids = createScheme(scheme).encode(notes);
    const j = await motif('inspect', good, '--json', '--scheme', scheme);
    assert.equal(j.code, 0);
    const summary = JSON.parse(j.out);
    assert.equal(summary.notes, notes.length);
    assert.equal(summary.baseTokens, ids.length);
    assert.equal(summary.scheme, scheme);
    assert.equal(summary.pedalEvents, perf.pedal.length);
    const names = await motif('inspect', good, '--tokens', '--scheme', scheme);
    assert.equal(names.out.trim(), tokenNames(createScheme(scheme), ids));
  }
  const raw = JSON.parse((await motif('inspect', good, '--json', '--no-sustain')).out);
  assert.equal(raw.sustain, 'none');
  assert.equal(raw.baseTokens, createScheme('exptime').encode(perf.notes).length);
  const text = await motif('inspect', good);
  assert.match(text.out, new RegExp(`notes +${notes.length}`));
  assert.deepEqual(raw.warnings, []);
});

test('inspect shows what the reader repaired and notes off the keyboard', async () => {
  // One track: pitch 10 (below the piano) on and off, then pitch 60 on with no note-off.
  const events = [0x00, 0x90, 10, 64, 0x60, 0x80, 10, 0, 0x00, 0x90, 60, 64, 0x60, 0xff, 0x2f, 0x00];
  const bytes = Uint8Array.from([
    ...Buffer.from('MThd'),
    0,
    0,
    0,
    6,
    0,
    0,
    0,
    1,
    0x01,
    0xe0,
    ...Buffer.from('MTrk'),
    0,
    0,
    0,
    events.length,
    ...events,
  ]);
  const file = join(root, 'warnings.mid');
  writeFileSync(file, bytes);
  const j = await motif('inspect', file, '--json', '--no-sustain');
  assert.equal(j.code, 0, j.err);
  const warnings = JSON.parse(j.out).warnings as string[];
  assert.ok(
    warnings.some((w) => /1 notes without a note-off/.test(w)),
    warnings.join('; '),
  );
  assert.ok(warnings.includes(`${file}: 1 notes outside the piano's range 21..108`), warnings.join('; '));
  assert.match((await motif('inspect', file, '--no-sustain')).out, /warning +.*without a note-off/);
});

test('inspect says which instruments it left out; --instruments all keeps them', async () => {
  const file = join(root, 'band.mid');
  writeFileSync(file, bandFile());
  const piano = JSON.parse((await motif('inspect', file, '--json')).out);
  assert.equal(piano.instruments, 'piano');
  assert.equal(piano.notes, BAND_PIANO.length);
  assert.equal(piano.pedalEvents, 0);
  assert.deepEqual(piano.dropped, readMidi(bandFile(), file).dropped);
  const text = (await motif('inspect', file)).out;
  assert.match(text, /instruments +piano\n/);
  assert.match(text, /left out +4 notes on channel 10 \(drums\)/);
  assert.match(text, /left out +3 notes of program 41 \(strings\) on channel 2/);
  assert.match(text, /left out +2 pedal events on channel 2, which has no piano notes/);

  const all = JSON.parse((await motif('inspect', file, '--json', '--instruments', 'all')).out);
  assert.equal(all.notes, BAND_PIANO.length + BAND_DRUMS.length + BAND_VIOLIN.length);
  assert.equal(all.pedalEvents, 2);
  assert.deepEqual(all.dropped, { notes: [], pedal: [] });
  assert.match((await motif('inspect', file, '--instruments', 'all')).out, /instruments +all, nothing left out/);
  const bad = await motif('inspect', file, '--instruments', 'strings');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /--instruments.*piano, all/);
});

test('tokenizer train → tokenize → decode, with bad files reported by name and exit code 2', async () => {
  const tok = join(root, 'tok.json');
  const train = await motif(
    'tokenizer',
    'train',
    data,
    '--vocab-size',
    '300',
    '--out',
    tok,
    '--json',
    '--workers',
    '2',
  );
  assert.equal(train.code, 2, train.err);
  const trained = JSON.parse(train.out);
  assert.deepEqual(trained.failures.map((f: { id: string }) => f.id).sort(), Object.keys(BAD_FILES).sort());
  assert.equal(trained.vocabSize, 300);
  assert.equal(trained.split, null, 'a plain folder has no split: all of it is used');
  const { tokenizer } = readTokenizer(tok);

  const out = join(root, 'shards');
  const tk = await motif('tokenize', data, '--tokenizer', tok, '--out', out);
  assert.equal(tk.code, 2);
  for (const id of Object.keys(BAD_FILES)) assert.ok(tk.err.includes(`  ${id}: `), `${id} reported in:\n${tk.err}`);
  assert.match(tk.out, /tokenized 3 of 7 files/);
  const again = JSON.parse((await motif('tokenize', data, '--tokenizer', tok, '--out', out, '--json')).out);
  assert.deepEqual(Object.keys(again).sort(), [
    'dtype',
    'failed',
    'failures',
    'files',
    'notes',
    'out',
    'pieces',
    'reading',
    'resumed',
    'seconds',
    'shards',
    'tokens',
    'vocabSize',
  ]);
  assert.equal(again.pieces, 3);
  const resumed = JSON.parse(
    (await motif('tokenize', data, '--tokenizer', tok, '--out', out, '--json', '--resume')).out,
  );
  assert.deepEqual(
    [resumed.resumed, resumed.files, resumed.pieces, resumed.failed],
    [3, 4, 3, 4],
    'finished pieces kept, bad files retried',
  );

  // ids printed by inspect decode back to the notes the tokenizer decodes.
  const idsFile = join(root, 'ids.txt');
  const printed = await motif('inspect', good, '--ids', '--tokenizer', tok);
  writeFileSync(idsFile, printed.out);
  const ids = printed.out.trim().split(' ').map(Number);
  const expected = tokenizer.decode(ids);
  const mid = join(root, 'out.mid');
  const dec = JSON.parse((await motif('decode', idsFile, '--tokenizer', tok, '--out', mid, '--json')).out);
  assert.equal(dec.notes, expected.length);
  const back = readMidi(readFileSync(mid), mid).notes;
  assert.deepEqual(Array.from(back.pitch), Array.from(expected.pitch));
  for (let i = 0; i < back.length; i++)
    assert.ok(Math.abs(back.start[i] - expected.start[i]) < 2e-3, `note ${i} start`);

  // The same piece straight from the shards (tokenizer taken from index.json).
  const mid2 = join(root, 'out2.mid');
  assert.equal((await motif('decode', goodIds[0], '--shards', out, '--out', mid2)).code, 0);
  assert.deepEqual(readFileSync(mid2), readFileSync(mid));

  const other = join(root, 'other.json');
  assert.equal((await motif('tokenizer', 'train', data, '--vocab-size', '260', '--out', other)).code, 2);
  const mismatch = await motif('decode', goodIds[0], '--shards', out, '--tokenizer', other, '--out', mid2);
  assert.equal(mismatch.code, 1);
  assert.match(mismatch.err, /other\.json: not the tokenizer the shards .* were made with/);

  const junk = join(root, 'junk.txt');
  writeFileSync(junk, '1 2 three');
  const badIds = await motif('decode', junk, '--tokenizer', tok, '--out', join(root, 'x.mid'));
  assert.equal(badIds.code, 1);
  assert.match(badIds.err, /junk\.txt: 'three' \(token 3\) is not a token id/);

  // Base ids past the scheme's vocabulary are refused, not decoded to nothing.
  const baseSize = createScheme('exptime').vocab.length;
  const pastFile = join(root, 'past.txt');
  writeFileSync(pastFile, `5 ${baseSize} 6`);
  const pastBase = await motif('decode', pastFile, '--base', '--out', join(root, 'x.mid'));
  assert.equal(pastBase.code, 1);
  assert.match(
    pastBase.err,
    new RegExp(
      `past\\.txt: id ${baseSize} at position 1 is outside the vocabulary 0\\.\\.${baseSize - 1} of the 'exptime' base scheme`,
    ),
  );
});

test('a tokenizer is not trained on files without notes', async () => {
  const dir = join(root, 'drums-only');
  mkdirSync(dir);
  writeFileSync(join(dir, 'drums.mid'), smf(0, 100, track(ev(0, 0x99, 36, 80), ev(50, 0x89, 36, 0))));
  const r = await motif('tokenizer', 'train', dir, '--vocab-size', '250', '--out', join(root, 'drums-tok.json'));
  assert.equal(r.code, 1);
  assert.match(r.err, /the 1 files read hold no notes of a piano \(--instruments all reads every instrument\)/);
});

test('tokenize and tokenizer train report what --instruments left out and what the reader repaired, naming the files', async () => {
  const dir = join(root, 'band-data');
  mkdirSync(dir);
  writeFileSync(join(dir, 'band.mid'), bandFile());
  writeFileSync(join(dir, 'piano.mid'), readFileSync(good));
  // Twelve files with a note never released: more than the text lists, all of them in --json.
  for (let i = 0; i < 12; i++)
    writeFileSync(
      join(dir, `open${String(i).padStart(2, '0')}.mid`),
      smf(0, 100, track(ev(0, 0x90, 60 + i, 50), ev(100, 0xb0, 1, 0))),
    );
  const tok = join(root, 'band-tok.json');
  const trained = await motif('tokenizer', 'train', dir, '--vocab-size', '250', '--out', tok);
  assert.equal(trained.code, 0, trained.err);
  assert.match(
    trained.err,
    /note: --instruments piano left out 7 notes and 2 pedal events of 1 files \(--instruments all keeps them\):\n {2}band\.mid: 3 notes of program 41 \(strings\) on channel 2; 4 notes on channel 10 \(drums\); 2 pedal events on channel 2, which has no piano notes\n/,
  );
  assert.match(
    trained.err,
    /warning: the MIDI reader repaired or ignored something in 12 files \(12 warnings\):\n {2}open00\.mid: 1 notes without a note-off/,
  );
  assert.match(
    trained.err,
    /open09\.mid: 1 notes without a note-off.*\n {2}\.\.\. and 2 more \(--json lists them all\)\n/,
  );
  assert.ok(!trained.err.includes('open10.mid'), 'the text lists the first ten');

  const json = JSON.parse(
    (await motif('tokenize', dir, '--tokenizer', tok, '--out', join(root, 'band-shards'), '--json')).out,
  );
  assert.equal(json.reading.instruments, 'piano');
  assert.equal(json.reading.droppedNotes, BAND_DRUMS.length + BAND_VIOLIN.length);
  assert.equal(json.reading.ignoredPedalEvents, 2);
  assert.equal(json.reading.warnings, 12);
  assert.deepEqual(
    json.reading.files.map((f: { id: string }) => f.id),
    ['band.mid', ...Array.from({ length: 12 }, (_, i) => `open${String(i).padStart(2, '0')}.mid`)],
  );
  assert.deepEqual(json.reading.files[0].dropped, readMidi(bandFile(), 'band.mid').dropped);
  assert.equal(JSON.parse(readFileSync(join(root, 'band-shards', 'index.json'), 'utf8')).instruments, 'piano');

  const all = await motif(
    'tokenize',
    dir,
    '--tokenizer',
    tok,
    '--out',
    join(root, 'band-shards-all'),
    '--instruments',
    'all',
    '--json',
  );
  const allJson = JSON.parse(all.out);
  assert.equal(allJson.reading.droppedNotes, 0);
  assert.equal(allJson.notes, json.notes + BAND_DRUMS.length + BAND_VIOLIN.length);
  assert.equal(JSON.parse(readFileSync(join(root, 'band-shards-all', 'index.json'), 'utf8')).instruments, 'all');
  const text = await motif(
    'tokenize',
    dir,
    '--tokenizer',
    tok,
    '--out',
    join(root, 'band-shards-all'),
    '--instruments',
    'all',
  );
  assert.ok(!text.err.includes('left out'), text.err);
  assert.match(text.err, /warning: the MIDI reader repaired or ignored something in 12 files/);
});

test('tokenizer train uses the train split by default when there is one', async () => {
  const dir = fileURLToPath(new URL('../../data/default', import.meta.url));
  const r = JSON.parse(
    (await motif('tokenizer', 'train', dir, '--vocab-size', '250', '--out', join(root, 'default.json'), '--json')).out,
  );
  assert.equal(r.split, 'train');
  const items = openDataset(dir).items;
  assert.equal(r.files, items.filter((i) => i.split === 'train').length);
  const all = JSON.parse(
    (
      await motif(
        'tokenizer',
        'train',
        dir,
        '--split',
        'test',
        '--vocab-size',
        '250',
        '--out',
        join(root, 'default.json'),
        '--json',
      )
    ).out,
  );
  assert.equal(all.files, items.filter((i) => i.split === 'test').length);
});

test('demo runs the verbs end to end on the embedded dataset, then again with an exported model', async () => {
  const out = join(root, 'demo');
  const fast = ['--vocab-size', '400', '--preset', 'tiny', '--epochs', '1', '--seq', '64', '--json'];
  const first = await motif('demo', '--out', out, '--model', 'none', ...fast);
  assert.equal(first.code, 0, first.err);
  const summary = JSON.parse(first.out);
  assert.deepEqual(
    summary.steps.map((s: { command: string }) => s.command.split(' ')[1]),
    ['tokenizer', 'tokenize', 'train', 'eval'],
  );
  const [tok, shards, , evaluation] = summary.steps.map((s: { result: Record<string, unknown> }) => s.result);
  assert.equal(tok.failures.length, 0);
  const items = openDataset(fileURLToPath(new URL('../../data/default', import.meta.url))).items;
  assert.equal(shards.pieces, items.length);
  assert.equal(evaluation.pieces, items.filter((i) => i.split === 'test').length);
  assert.ok(Number.isFinite(evaluation.bitsPerNote) && evaluation.bitsPerNote > 0);
  assert.ok(existsSync(summary.report), summary.report);

  const model = join(root, 'demo-model');
  assert.equal((await motif('export', '--run', join(out, 'run'), '--out', model)).code, 0);
  const second = await motif('demo', '--out', out, '--model', model, ...fast); // replaces its own folder
  assert.equal(second.code, 0, second.err);
  const steps = JSON.parse(second.out).steps as Array<{ command: string; result: unknown }>;
  assert.deepEqual(
    steps.map((s) => s.command.split(' ')[1]),
    ['tokenizer', 'tokenize', 'train', 'eval', 'embed', 'map', 'similar'],
  );
  assert.ok(existsSync(join(out, 'maps', 'map-composer.html')));
  const similar = steps[6].result as { neighbours: Array<{ distance: number }> };
  assert.equal(similar.neighbours.length, 5);
  assert.ok(
    similar.neighbours.every((n, i) => i === 0 || n.distance >= similar.neighbours[i - 1].distance),
    'nearest first',
  );

  const foreign = join(root, 'not-a-demo');
  mkdirSync(foreign, { recursive: true });
  writeFileSync(join(foreign, 'keep.txt'), 'mine');
  const refused = await motif('demo', '--out', foreign, '--model', 'none', ...fast);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /not made by motif demo/);
  assert.ok(existsSync(join(foreign, 'keep.txt')));
});

test('the real entry point: exit codes reach the shell', () => {
  const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
  const bad = spawnSync(process.execPath, ['--import', 'tsx', main, 'inspect', notMidi], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.ok(bad.stderr.startsWith(`${notMidi}: not a MIDI file`), bad.stderr);
  const help = spawnSync(process.execPath, ['--import', 'tsx', main, 'inspect', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /Usage: motif inspect/);
  // A reader that closes the pipe at once (`| true`, like `| head`): no EPIPE stack trace, exit 0.
  const closed = spawnSync(
    'bash',
    ['-c', 'set -o pipefail; "$0" --import tsx "$1" train --help | true', process.execPath, main],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(closed.stderr, '');
  assert.equal(closed.status, 0);
});

test('inspect handles a performance with more notes than a call takes arguments', async () => {
  const big = join(root, 'big.mid');
  const n = 300_000;
  writeFileSync(
    big,
    writeMidi(
      notesFrom(
        Array.from({ length: n }, (_, i) => ({
          pitch: 30 + (i % 50),
          velocity: 64,
          start: i * 0.01,
          end: i * 0.01 + 0.05,
        })),
      ),
    ),
  );
  const r = await motif('inspect', big, '--json');
  assert.equal(r.code, 0, r.err);
  const summary = JSON.parse(r.out) as { notes: number; pitchRange: number[] };
  assert.equal(summary.notes, n);
  assert.deepEqual(summary.pitchRange, [30, 79]);
});

test('every verb is offered, also where the native core is missing (verbs load it in their actions: test/architecture.test.ts)', async () => {
  const top = await motif('--help');
  for (const verb of [
    'train',
    'perplexity',
    'export',
    'embed',
    'similar',
    'evaluate-embeddings',
    'map',
    'generate',
    'serve',
  ])
    assert.match(top.out, new RegExp(`^  ${verb}\\b`, 'm'), verb);
});

test('the old names eval and evaluate still work, as aliases of perplexity and evaluate-embeddings', async () => {
  assert.match((await motif('eval', '--help')).out, /^Usage: motif perplexity\|eval /m);
  assert.match((await motif('evaluate', '--help')).out, /^Usage: motif evaluate-embeddings\|evaluate /m);
});
