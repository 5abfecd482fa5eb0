// Tokenizer training with a base-token budget: a corpus that fits trains exactly as on all its ids (the tokenizer is
// identical to one trained without a budget), and one over it trains exactly as on the sample, reported as such.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { openDataset, selectSplit } from '../../src/data/dataset.js';
import { encodeItems } from '../../src/data/encode.js';
import { TokenBudgetSample } from '../../src/data/token-budget-sample.js';
import { trainTokenizer } from '../../src/data/train-tokenizer.js';
import { MidiTokenizer } from '../../src/tokenizer/midi-tokenizer.js';
import { createScheme } from '../../src/tokenizer/schemes.js';

const items = selectSplit(openDataset(fileURLToPath(new URL('../../data/default', import.meta.url))), 'train');
const spec = { scheme: 'exptime', sustain: 'musical', instruments: 'piano' } as const;
const options = { vocabSize: 600, scheme: 'exptime', sustain: 'musical', workers: 2 } as const;

async function baseIds(): Promise<Array<{ id: string; ids: Int32Array }>> {
  const out = [];
  for await (const r of encodeItems(items, spec, { workers: 0 })) if (r.ok) out.push({ id: r.item.id, ids: r.ids });
  return out;
}

test('within the default budget: the same tokenizer as BPE on every file', async () => {
  const all = await baseIds();
  const trained = await trainTokenizer(items, options);
  assert.equal(trained.sample, undefined);
  assert.equal(trained.baseTokens, all.reduce((s, f) => s + f.ids.length, 0));
  const direct = MidiTokenizer.trainOnIds(createScheme('exptime'), all.map((f) => f.ids), { vocabSize: 600 });
  assert.deepEqual(trained.tokenizer.toJSON(), direct.toJSON());
});

test('over the budget: BPE on the sample alone, and the sample reported', async () => {
  const all = await baseIds();
  const total = all.reduce((s, f) => s + f.ids.length, 0);
  const budget = Math.floor(total / 3);
  const reference = new TokenBudgetSample(budget);
  for (const f of all) reference.offer(f.id, f.ids);
  const trained = await trainTokenizer(items, { ...options, maxBaseTokens: budget });
  assert.deepEqual(trained.sample, { files: reference.files, baseTokens: reference.tokens, maxBaseTokens: budget });
  assert.ok(reference.files < all.length && reference.tokens <= budget);
  assert.equal(trained.baseTokens, total, 'baseTokens counts the whole corpus read');
  const direct = MidiTokenizer.trainOnIds(createScheme('exptime'), reference.pieces(), { vocabSize: 600 });
  assert.deepEqual(trained.tokenizer.toJSON(), direct.toJSON());
  const whole = await trainTokenizer(items, options);
  assert.notDeepEqual(trained.tokenizer.toJSON(), whole.tokenizer.toJSON(), 'a third of the corpus learns other merges');
});
