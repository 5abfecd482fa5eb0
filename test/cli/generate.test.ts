// `motif generate` with the shipped model: JSON keys, the same seed writes the same bytes, samples to a
// folder, the continuation alone, and errors that name the bad input (exit 1, nothing written).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { motif } from '../helpers/cli.js';
import { readMidi } from '../../src/midi/read.js';
import { tempDir } from '../helpers/temp-dir.js';

const MODEL = 'models/asap-small';
const PROMPT = 'data/default/Bach/Prelude/bwv_858/VuV01M.mid';
const dir = tempDir('generate');

test('generate continues a prompt: JSON summary, and the same seed writes the same file', async () => {
  const args = [
    'generate',
    '--model',
    MODEL,
    '--prompt',
    PROMPT,
    '--prompt-seconds',
    '4',
    '--seconds',
    '3',
    '--seed',
    '11',
    '--json',
  ];
  const a = await motif(...args, '--out', join(dir, 'a.mid'));
  assert.equal(a.code, 0, a.err);
  const json = JSON.parse(a.out) as Record<string, unknown>;
  for (const key of ['notes', 'seconds', 'tokens', 'tokens_per_s', 'repairs', 'out'])
    assert.ok(key in json, `key ${key}`);
  assert.equal(json.repairs, 0);
  assert.ok((json.seconds as number) >= 4 + 3 - 0.5, `prompt + continuation last ${String(json.seconds)} s`);
  const b = await motif(...args, '--out', join(dir, 'b.mid'));
  assert.equal(b.code, 0, b.err);
  assert.deepEqual(readFileSync(join(dir, 'a.mid')), readFileSync(join(dir, 'b.mid')));
  const notes = readMidi(readFileSync(join(dir, 'a.mid')), 'a.mid').notes;
  assert.equal(notes.length, json.notes);
});

test('several samples go to a folder; --continuation-only starts at the continuation', async () => {
  const out = join(dir, 'samples');
  const r = await motif(
    'generate',
    '--model',
    MODEL,
    '--tokens',
    '40',
    '--samples',
    '2',
    '--continuation-only',
    '--out',
    out,
    '--json',
  );
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(readdirSync(out).sort(), ['sample-1.mid', 'sample-2.mid']);
  const json = JSON.parse(r.out) as { samples: Array<{ tokens: number }> };
  assert.deepEqual(
    json.samples.map((s) => s.tokens),
    [40, 40],
  );
});

test('bad input is named, exits 1 and writes nothing', async () => {
  const bad = join(dir, 'bad.mid');
  writeFileSync(bad, 'not midi');
  const out = join(dir, 'never.mid');
  for (const [args, message] of [
    [['--prompt', bad], /bad\.mid/],
    [['--prompt', join(dir, 'missing.mid')], /missing\.mid: no such file/],
    [['--prompt-seconds', '3'], /--prompt-seconds needs --prompt/],
    [['--top-p', '0'], /expected a number in \(0, 1\]/],
  ] as const) {
    const r = await motif('generate', '--model', MODEL, ...args, '--out', out);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, message);
    assert.ok(!existsSync(out));
  }
  const noModel = await motif('generate', '--model', join(dir, 'nothing'), '--out', out);
  assert.equal(noModel.code, 1);
  assert.match(noModel.err, /nothing/);
});

test('an embedding model continues too, with a note naming the language model it was fine-tuned from', async () => {
  const out = join(dir, 'from-embedding-model.mid');
  const r = await motif('generate', '--model', 'models/asap-embed', '--seconds', '1', '--seed', '2', '--out', out);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /models\/asap-embed is an embedding model.*--model models\/asap-small continues with that one/s);
  assert.ok(existsSync(out));
  const plain = await motif(
    'generate',
    '--model',
    MODEL,
    '--seconds',
    '1',
    '--seed',
    '2',
    '--out',
    join(dir, 'plain.mid'),
  );
  assert.doesNotMatch(plain.err, /embedding model/);
});
