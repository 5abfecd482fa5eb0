// The token-budget sample against a plain reference (rank every file, keep the longest fitting run of the ranking):
// the same files whatever the order they arrive in, handed back in arrival order, and nothing left out when all fit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBudgetSample, sampleRank } from '../../src/data/token-budget-sample.js';

const files = Array.from({ length: 200 }, (_, i) => ({ id: `piece-${i}.mid`, ids: new Int32Array(1 + ((i * 37) % 50)).fill(i) }));

/** The definition, computed the slow way: rank all files, take the ranking's longest prefix within the budget (at least one). */
function reference(list: typeof files, budget: number): string[] {
  const ranked = [...list].sort((a, b) => sampleRank(a.id) - sampleRank(b.id) || (a.id < b.id ? -1 : 1));
  const kept: string[] = [];
  let tokens = 0;
  for (const f of ranked) {
    if (kept.length > 0 && tokens + f.ids.length > budget) break;
    kept.push(f.id);
    tokens += f.ids.length;
  }
  return kept;
}

function run(list: typeof files, budget: number): { ids: string[]; sample: TokenBudgetSample } {
  const sample = new TokenBudgetSample(budget);
  for (const f of list) sample.offer(f.id, f.ids);
  // Each file's ids are filled with its number: map the pieces back to their files.
  return { ids: sample.pieces().map((p) => `piece-${p[0]}.mid`), sample };
}

test('the sample is the longest run of the ranking that fits, in arrival order, whatever the arrival order', () => {
  const total = files.reduce((s, f) => s + f.ids.length, 0);
  const shuffled = [...files].sort((a, b) => sampleRank(`x${a.id}`) - sampleRank(`x${b.id}`));
  for (const budget of [1, 60, 500, 1234, total - 1]) {
    const want = reference(files, budget);
    for (const order of [files, [...files].reverse(), shuffled]) {
      const { ids, sample } = run(order, budget);
      assert.deepEqual([...ids].sort(), [...want].sort(), `budget ${budget}`);
      const arrival = order.map((f) => f.id).filter((id) => want.includes(id));
      assert.deepEqual(ids, arrival, 'handed back in the order offered');
      assert.equal(sample.sampled, true);
      assert.equal(sample.seenFiles, files.length);
      assert.equal(sample.seenTokens, total);
      assert.equal(sample.tokens, ids.reduce((s, id) => s + files.find((f) => f.id === id)!.ids.length, 0));
      assert.ok(sample.tokens <= budget || ids.length === 1);
    }
  }
});

test('a corpus within the budget is kept whole, as it came', () => {
  const total = files.reduce((s, f) => s + f.ids.length, 0);
  const { ids, sample } = run(files, total);
  assert.deepEqual(ids, files.map((f) => f.id));
  assert.equal(sample.sampled, false);
  assert.equal(sample.tokens, total);
});

test('a bad budget is refused', () => {
  assert.throws(() => new TokenBudgetSample(0), /at least 1/);
});
