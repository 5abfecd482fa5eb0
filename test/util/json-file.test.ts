// motif's own JSON records, garbled or cut short, are reported with their file's name.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readJsonFile } from '../../src/util/json-file.js';
import { openStore } from '../../src/embed/store.js';
import { CheckpointStore } from '../../src/run/checkpoints.js';
import { readRunConfig } from '../../src/run/config.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('json');
const garbled = (path: string): string => (writeFileSync(path, '{"format": "motif-run", "dat'), path);

test('readJsonFile names the file for a missing, a cut-short and a valid file', () => {
  assert.throws(
    () => readJsonFile(join(dir, 'none.json')),
    new RegExp(`^Error: ${join(dir, 'none.json')}: cannot be read \\(ENOENT\\)`),
  );
  const cut = garbled(join(dir, 'cut.json'));
  assert.throws(
    () => readJsonFile(cut),
    (err: Error) => err.message.startsWith(`${cut}: damaged, not valid JSON`),
  );
  writeFileSync(join(dir, 'ok.json'), '{"a": [1, 2]}');
  assert.deepEqual(readJsonFile(join(dir, 'ok.json')), { a: [1, 2] });
});

test('a garbled run config, best pointer and store info each name their file', async () => {
  const run = join(dir, 'run');
  mkdirSync(join(run, 'checkpoints'), { recursive: true });
  const config = garbled(join(run, 'config.json'));
  assert.throws(
    () => readRunConfig(run),
    (err: Error) => err.message.startsWith(config),
  );
  const best = garbled(join(run, 'checkpoints', 'best.json'));
  assert.throws(
    () => new CheckpointStore(run).best(),
    (err: Error) => err.message.startsWith(best),
  );
  const store = join(dir, 'store');
  mkdirSync(store);
  const info = garbled(join(store, 'store.json'));
  await assert.rejects(openStore(store), (err: Error) => err.message.startsWith(info));
});
