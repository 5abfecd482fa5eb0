// Model, tokenizer and store must belong together (#16 item 6): a run whose tokenizer.json was swapped is
// refused, naming the file; a store is searched only with the weights that made it (an export of the same
// checkpoint is fine, another checkpoint is refused by similar and evaluate, naming the store).
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadRunModel } from '../../src/run/run-model.js';
import { exportModel } from '../../src/train/export.js';
import { motif } from '../helpers/cli.js';
import { writeLabelledDataset, writeTinyRun } from '../helpers/labelled-dataset.js';
import { tempDir } from '../helpers/temp-dir.js';

const root = tempDir('store-model');
const data = join(root, 'asap');
const ids = writeLabelledDataset(data);
const runDir = join(root, 'run');
writeTinyRun(data, ids, runDir);

test('a store answers only to the weights that made it; a swapped tokenizer is named', async () => {
  const store = join(root, 'store');
  assert.equal(
    (await motif('embed', '--run', runDir, '--checkpoint', 'epoch-1', '--data', data, '--out', store)).code,
    2,
  ); // 2: the dataset's bad file
  const query = join(data, ids[0]);

  const same = await motif('similar', query, '--store', store, '--k', '2', '--json');
  assert.equal(same.code, 0, same.err);
  const exported = join(root, 'export');
  exportModel(runDir, join(runDir, 'snapshots', 'epoch-0001'), exported);
  assert.equal(
    (await motif('similar', query, '--store', store, '--run', exported, '--k', '2')).code,
    0,
    'the same weights, exported elsewhere',
  );

  const other = await motif('similar', query, '--store', store, '--checkpoint', 'epoch-2', '--k', '2');
  assert.equal(other.code, 1);
  assert.match(other.err, /store: was made by another model .* not comparable/);
  const evaluated = await motif('evaluate', '--store', store, '--data', data, '--checkpoint', 'epoch-2');
  assert.equal(evaluated.code, 1);
  assert.match(evaluated.err, /was made by another model/);

  const tok = join(exported, 'tokenizer.json');
  writeFileSync(tok, readFileSync(tok, 'utf8').replace('"vocab"', '"vocab" '));
  assert.throws(() => loadRunModel(exported), /tokenizer\.json: is not the tokenizer .* was trained with/);
});
