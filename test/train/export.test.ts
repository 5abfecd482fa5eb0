import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { embedNotes } from '../../src/embed/extract.js';
import { loadRunModel } from '../../src/run/run-model.js';
import { resolveCheckpoint } from '../../src/run/checkpoint-choice.js';
import { exportModel } from '../../src/train/export.js';
import { readRunConfig } from '../../src/run/config.js';
import { readNotes, writeLabelledDataset, writeTinyRun } from '../helpers/labelled-dataset.js';
import { tempDir } from '../helpers/temp-dir.js';

test('an exported model folder embeds exactly like the run checkpoint it came from, and refuses a non-empty target', () => {
  const root = tempDir('export');
  const data = join(root, 'data');
  const ids = writeLabelledDataset(data);
  const runDir = join(root, 'run');
  writeTinyRun(data, ids, runDir);
  writeFileSync(join(runDir, 'eval-test.json'), '{}\n');

  const out = join(root, 'model');
  const result = exportModel(runDir, resolveCheckpoint(runDir, 'epoch-2'), out);
  assert.deepEqual(readdirSync(out).sort(), ['config.json', 'eval-test.json', 'model.safetensors', 'tokenizer.json']);
  assert.deepEqual([...result.files].sort(), readdirSync(out).sort());
  assert.ok(!existsSync(join(out, 'checkpoints')));

  const fromRun = loadRunModel(runDir, 'epoch-2');
  const fromExport = loadRunModel(out);
  const notes = readNotes(join(data, ids[0]));
  assert.deepEqual(
    embedNotes(fromExport.model, fromExport.tokenizer, notes),
    embedNotes(fromRun.model, fromRun.tokenizer, notes),
  );

  assert.throws(() => exportModel(runDir, resolveCheckpoint(runDir, 'epoch-2'), out), /exists and is not empty/);

  // No machine path in the export: its config names data and tokenizer relative to itself, and still resolves
  // to the run's own when read, also after the folder pair moves.
  const raw = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as {
    data: string;
    tokenizer: { path: string };
  };
  assert.ok(!isAbsolute(raw.data) && !isAbsolute(raw.tokenizer.path), JSON.stringify(raw));
  assert.ok(!readFileSync(join(out, 'config.json'), 'utf8').includes(root));
  assert.equal(readRunConfig(out).data, readRunConfig(runDir).data);
  assert.equal(readRunConfig(out).tokenizer.path, readRunConfig(runDir).tokenizer.path);
});
