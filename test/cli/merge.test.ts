// `motif tokenize --part i/n`, `motif embed --part i/n` and `motif merge` end to end: on the shipped default data
// (ASAP subset, CC BY-NC-SA 4.0) the shard parts are disjoint, cover the selection, and merge into the pieces and ids
// one whole run writes; merge refuses incomplete, repeated, mismatched parts and a non-empty --out, leaving nothing
// behind. Store parts (a labelled dataset and a tiny run) merge into the vectors one whole embed writes.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openShards } from '../../src/data/shards.js';
import { openStore } from '../../src/embed/store.js';
import { motif } from '../helpers/cli.js';
import { writeLabelledDataset, writeTinyRun } from '../helpers/labelled-dataset.js';
import { tempDir } from '../helpers/temp-dir.js';

const project = fileURLToPath(new URL('../..', import.meta.url));
const data = join(project, 'data/default');
const tokenizer = join(project, 'models/asap-small/tokenizer.json');
const root = tempDir('merge-cli');
const tokenize = (out: string, ...flags: string[]) =>
  motif('tokenize', data, '--tokenizer', tokenizer, '--out', join(root, out), '--shard-tokens', '20000', ...flags);

test('three parts merge into what one whole run writes', async () => {
  assert.equal((await tokenize('whole')).code, 0);
  for (const i of [3, 1, 2]) assert.equal((await tokenize(`p${i}`, '--part', `${i}/3`)).code, 0);
  const whole = openShards(join(root, 'whole'));
  const parts = [1, 2, 3].map((i) => openShards(join(root, `p${i}`)));
  const sizes = parts.map((p) => p.index.pieces.length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `near-equal parts: ${sizes}`);
  assert.deepEqual(parts[1].index.part, { index: 2, count: 3, of: whole.index.pieces.length });

  const merged = await motif(
    'merge',
    ...[2, 3, 1].map((i) => join(root, `p${i}`)),
    '--out',
    join(root, 'merged'),
    '--json',
  );
  assert.equal(merged.code, 0, merged.err);
  const summary = JSON.parse(merged.out);
  assert.equal(summary.pieces, whole.index.pieces.length);
  const m = openShards(join(root, 'merged'));
  assert.equal(m.index.complete, true);
  assert.equal(m.index.part, undefined);
  // Pieces are listed as their shards filled (split by split), so compare them as sets.
  const ids = (index: typeof m.index) => index.pieces.map((p) => `${p.split}/${p.id}`).sort();
  assert.deepEqual(ids(m.index), ids(whole.index));
  for (const p of whole.index.pieces) assert.deepEqual(m.tokens(p.id), whole.tokens(p.id), p.id);
  assert.equal(new Set(m.index.shards.map((s) => s.file)).size, m.index.shards.length);
});

test('merge refuses what is not one whole job, and writes nothing', async () => {
  const p = (i: number) => join(root, `p${i}`);
  const refuse = async (args: string[], pattern: RegExp, out = join(root, 'refused')) => {
    const r = await motif('merge', ...args, '--out', out);
    assert.equal(r.code, 1, r.out);
    assert.match(r.err, pattern);
    assert.ok(!existsSync(join(out, 'index.json')));
  };
  // Parts of the first test, or made here when run alone.
  for (const i of [1, 2, 3]) if (!existsSync(p(i))) assert.equal((await tokenize(`p${i}`, '--part', `${i}/3`)).code, 0);
  await refuse([p(1), p(2)], /parts 3\/3 are missing/);
  await refuse([p(1), p(2), p(2)], /both are part 2\/3/);
  assert.equal((await tokenize('whole2')).code, 0);
  await refuse([p(1), join(root, 'whole2')], /not made with --part/);
  assert.equal((await tokenize('half1', '--part', '1/2')).code, 0);
  await refuse([join(root, 'half1'), p(2), p(3)], /parts of different splits/);
  assert.equal((await tokenize('p1-nopedal', '--part', '1/3', '--no-sustain')).code, 0);
  await refuse(
    [join(root, 'p1-nopedal'), p(2), p(3)],
    /p2: its MIDI reading \(--instruments piano --sustain musical\) differs from .*p1-nopedal's \(--instruments piano --no-sustain\)/,
  );
  const busy = join(root, 'busy');
  mkdirSync(busy);
  writeFileSync(join(busy, 'keep.txt'), 'mine');
  await refuse([p(1), p(2), p(3)], /not empty/, busy);
  const bad = await motif('tokenize', data, '--tokenizer', tokenizer, '--out', join(root, 'x'), '--part', '4/3');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /expected i\/n/);
});

test('embed parts merge into the store one whole embed writes; parts of another checkpoint are refused', async () => {
  const labelled = join(root, 'labelled');
  const runDir = join(root, 'run');
  writeTinyRun(labelled, writeLabelledDataset(labelled), runDir);
  const embed = (out: string, ...flags: string[]) =>
    motif('embed', '--run', runDir, '--checkpoint', 'epoch-1', '--data', labelled, '--out', join(root, out), ...flags);
  // The labelled dataset holds one unreadable file: exit 2 (done, a file skipped) where it falls.
  assert.equal((await embed('s-whole')).code, 2);
  const codes = [];
  for (const i of [1, 2]) codes.push((await embed(`s${i}`, '--part', `${i}/2`)).code);
  assert.deepEqual(codes.sort(), [0, 2]);
  const merged = await motif('merge', join(root, 's2'), join(root, 's1'), '--out', join(root, 's-merged'));
  assert.equal(merged.code, 0, merged.err);
  const byId = async (dir: string) => new Map((await (await openStore(join(root, dir))).all()).map((r) => [r.id, r]));
  const whole = await byId('s-whole');
  const got = await byId('s-merged');
  assert.deepEqual([...got.keys()].sort(), [...whole.keys()].sort());
  for (const [id, r] of whole) {
    assert.deepEqual(got.get(id)!.vector, r.vector, id);
    assert.equal(got.get(id)!.file, r.file);
  }
  const windows = async (dir: string) =>
    (await (await openStore(join(root, dir))).windows()).map((w) => ({ ...w, vector: [...w.vector] }));
  assert.deepEqual(await windows('s-merged'), await windows('s-whole'), 'the windows merge too');
  const info = (await openStore(join(root, 's-merged'))).info;
  assert.equal(info.windows, (await windows('s-whole')).length);
  assert.equal(info.source.part, undefined);
  assert.equal(info.source.checkpoint, (await openStore(join(root, 's-whole'))).info.source.checkpoint);

  const other = await motif(
    'embed',
    '--run',
    runDir,
    '--checkpoint',
    'epoch-2',
    '--data',
    labelled,
    '--out',
    join(root, 's2-other'),
    '--part',
    '2/2',
  );
  assert.notEqual(other.code, 1, other.err);
  const refused = await motif('merge', join(root, 's1'), join(root, 's2-other'), '--out', join(root, 's-refused'));
  assert.equal(refused.code, 1);
  assert.match(refused.err, /differs from/);
  assert.ok(!existsSync(join(root, 's-refused')));
});
