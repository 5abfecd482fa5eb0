import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, writeAtomic } from '../../src/util/atomic.js';
import { tempDir } from '../helpers/temp-dir.js';

test('writeAtomic creates missing parent folders and leaves no temp file', () => {
  const root = tempDir('atomic');
  const path = join(root, 'a', 'b', 'tokenizer.json');
  writeAtomic(path, new TextEncoder().encode('{}'));
  assert.equal(readFileSync(path, 'utf8'), '{}');
  assert.deepEqual(readdirSync(join(root, 'a', 'b')), ['tokenizer.json']);
});

test('an output path that cannot be written is named with the reason, and no temp file is left', () => {
  const dir = tempDir('atomic-out');
  mkdirSync(join(dir, 'folder'));
  writeFileSync(join(dir, 'file'), '');
  assert.throws(
    () => writeAtomic(join(dir, 'folder'), Buffer.from('x')),
    new RegExp(`^Error: ${join(dir, 'folder')}: is a folder`),
  );
  assert.throws(
    () => writeAtomic(join(dir, 'file', 'x.json'), Buffer.from('x')),
    new RegExp(`^Error: ${join(dir, 'file')}: cannot create this folder \\(a file is in the way`),
  );
  assert.throws(() => ensureDir(join(dir, 'file')), /a file is in the way/);
  assert.deepEqual(readdirSync(dir).sort(), ['file', 'folder']);
  assert.deepEqual(readdirSync(join(dir, 'folder')), []);
});
