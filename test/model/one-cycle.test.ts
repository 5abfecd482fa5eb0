// The one-cycle schedule against the learning rates PyTorch's OneCycleLR produced
// (test/fixtures/model/fixtures.json, written by python/make_fixtures.py), plus its shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectClose } from '../helpers/close.js';
import { oneCycleLr } from '../../src/model/one-cycle.js';

interface Reference {
  totalSteps: number;
  maxLr: number;
  pctStart: number;
  divFactor: number;
  finalDivFactor: number;
  lrs: number[];
}
const { oneCycle } = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'fixtures', 'model', 'fixtures.json'), 'utf8'),
) as { oneCycle: Reference[] };

test('matches PyTorch OneCycleLR step by step', () => {
  assert.ok(oneCycle.length >= 2);
  for (const ref of oneCycle) {
    const ours = ref.lrs.map((_, step) => oneCycleLr(step, ref));
    expectClose(ours, ref.lrs, { rtol: 1e-9, atol: 0, label: `one-cycle total ${ref.totalSteps}` });
  }
});

test('starts at maxLr/div, peaks at maxLr, ends at maxLr/(div·finalDiv); rejects steps out of range', () => {
  const o = { maxLr: 1e-3, totalSteps: 1000 };
  expectClose(oneCycleLr(0, o), 1e-3 / 25, { rtol: 1e-12, label: 'start' });
  expectClose(Math.max(...Array.from({ length: 1000 }, (_, s) => oneCycleLr(s, o))), 1e-3, {
    rtol: 1e-12,
    label: 'peak',
  });
  expectClose(oneCycleLr(999, o), 1e-3 / 25 / 1e4, { rtol: 1e-9, label: 'end' });
  assert.throws(() => oneCycleLr(1000, o), /outside/);
});

test('a warm-up of one step (pctStart·total = 1) starts at maxLr instead of NaN', () => {
  const lrs = Array.from({ length: 10 }, (_, s) => oneCycleLr(s, { maxLr: 1e-3, totalSteps: 10, pctStart: 0.1 }));
  assert.ok(lrs.every(Number.isFinite), `non-finite learning rate in ${lrs}`);
  assert.equal(lrs[0], 1e-3);
  assert.ok(lrs[9] < lrs[1]);
});
