import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAtomic } from '../../src/data/atomic.js';

test('writeAtomic creates missing parent folders and leaves no temp file', () => {
  const root = mkdtempSync(join(tmpdir(), 'motif-atomic-'));
  const path = join(root, 'a', 'b', 'tokenizer.json');
  writeAtomic(path, new TextEncoder().encode('{}'));
  assert.equal(readFileSync(path, 'utf8'), '{}');
  assert.deepEqual(readdirSync(join(root, 'a', 'b')), ['tokenizer.json']);
});
