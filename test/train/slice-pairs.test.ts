// Contrastive batches: each row is one contiguous run of its own performance's framed tokens (never across
// performances), both rows of a pair come from the same performance (or, with positives 'work' or 'passage', from
// two performances of one work when it has two; 'passage' at the same place), the pairs from distinct works while
// there are enough, lengths stay in range, the mask marks exactly the slice, and the sampler is deterministic
// and resumable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { framedLength } from '../../src/train/batches.js';
import { POSITIVES, SlicePairs, samePlace, type SliceBatch, type SlicePiece } from '../../src/train/slice-pairs.js';

const framing = { padId: 0, bosId: 1, eosId: 2 };
// Piece p holds ids 1000·(p+1) + k, so a token tells which piece and position it came from.
const pieces: SlicePiece[] = Array.from({ length: 9 }, (_, p) => ({
  ids: Int32Array.from({ length: 20 + 13 * p }, (_, k) => 1000 * (p + 1) + k),
  work: `work-${p % 4}`, // four works, several performances each
}));

for (const positives of POSITIVES)
  test(`slices stay inside their own performance; pairs share a ${positives}; works differ while they can`, () => {
    const sampler = new SlicePairs(pieces, framing, 8, 24, 7, { positives });
    let crossed = 0;
    for (let step = 0; step < 50; step++) {
      const B = 4;
      const batch = sampler.next(B);
      const works = Array.from(batch.pieces, (p) => pieces[p].work);
      assert.equal(new Set(works.slice(0, B)).size, B, 'one work per pair');
      assert.deepEqual(works.slice(B), works.slice(0, B), 'both views of a pair perform one work');
      for (let b = 0; b < B; b++) {
        if (positives === 'performance') assert.equal(batch.pieces[B + b], batch.pieces[b], 'one performance');
        else assert.notEqual(batch.pieces[B + b], batch.pieces[b], 'two performances (every work here has two)');
        crossed += Number(batch.pieces[B + b] !== batch.pieces[b]);
      }
      checkRows(batch);
    }
    assert.equal(crossed > 0, positives !== 'performance');
  });

/** Each row: the slice (a contiguous run of its performance's framed tokens in `of`, or for second views in
 *  `second`; length in range), then padding. */
function checkRows(batch: SliceBatch, of: readonly SlicePiece[] = pieces, second = of): void {
  for (let row = 0; row < 2 * batch.B; row++) {
    const p = batch.pieces[row];
    const view = row < batch.B ? of : second;
    const tokens = Array.from(batch.tokens.subarray(row * batch.T, (row + 1) * batch.T));
    const mask = Array.from(batch.mask.subarray(row * batch.T, (row + 1) * batch.T));
    const length = mask.filter(Boolean).length;
    assert.deepEqual(
      mask,
      [...Array(length).fill(1), ...Array(batch.T - length).fill(0)],
      'mask: the slice, then padding',
    );
    assert.ok(length >= Math.min(8, framedLength(view[p].ids)) && length <= 24, `length ${length}`);
    const slice = tokens.slice(0, length);
    const whole = [1, ...Array.from(view[p].ids), 2];
    const start = whole.indexOf(slice[0]);
    assert.deepEqual(slice, whole.slice(start, start + length), `row ${row} is a run of performance ${p}`);
    assert.ok(
      tokens.slice(length).every((t) => t === 0),
      'padding after the slice',
    );
  }
}

test('positives passage: the second slice is as long and centred on the same share of its performance', () => {
  const sampler = new SlicePairs(pieces, framing, 8, 24, 3, { positives: 'passage' });
  let checked = 0;
  for (let step = 0; step < 30; step++) {
    const batch = sampler.next(4);
    for (let b = 0; b < 4; b++) {
      const rows = [b, 4 + b].map((row) => {
        const length = batch.mask.subarray(row * batch.T, (row + 1) * batch.T).reduce((n, m) => n + m, 0);
        const t = batch.tokens.subarray(row * batch.T, row * batch.T + length);
        // A framed position from a token: bos is 0, id 1000·(p+1)+k is k+1, eos is the last.
        const L = framedLength(pieces[batch.pieces[row]].ids);
        const position = t[0] === 1 ? 0 : t[0] === 2 ? L - 1 : (t[0] % 1000) + 1;
        return { centre: (position + length / 2) / L, length, L };
      });
      const [a, c] = rows;
      if (c.L >= a.length) {
        assert.equal(c.length, a.length, 'as long as the first');
        const clamped = c.centre * c.L - c.length / 2 <= 0.5 || c.centre * c.L + c.length / 2 >= c.L - 0.5;
        if (!clamped)
          assert.ok(Math.abs(c.centre - a.centre) <= 0.5 / c.L + 1e-9, `same place: ${a.centre} vs ${c.centre}`);
        checked++;
      }
    }
    checkRows(batch);
  }
  assert.ok(checked > 50);
});

test('samePlace: same share of the other performance, clamped inside it, no longer than it', () => {
  const of = (n: number) => new Int32Array(n - 2); // framed length n
  assert.deepEqual(samePlace({ start: 40, length: 20 }, of(100), of(200)), { start: 90, length: 20 });
  assert.deepEqual(samePlace({ start: 90, length: 10 }, of(100), of(50)), { start: 40, length: 10 });
  assert.deepEqual(samePlace({ start: 0, length: 30 }, of(100), of(20)), { start: 0, length: 20 });
});

test('positives work: a work with one performance pairs two slices of it', () => {
  const lone = [...pieces, { ids: Int32Array.from({ length: 30 }, (_, k) => 99000 + k), work: 'alone' }];
  const sampler = new SlicePairs(lone, framing, 8, 24, 2, { positives: 'work' });
  let seen = 0;
  for (let step = 0; step < 40; step++) {
    const batch = sampler.next(5);
    for (let b = 0; b < 5; b++)
      if (batch.pieces[b] === lone.length - 1) {
        assert.equal(batch.pieces[5 + b], lone.length - 1, 'its only performance');
        seen++;
      }
    checkRows(batch, lone);
  }
  assert.ok(seen > 0, 'the lone work was drawn');
  assert.throws(
    () => new SlicePairs(pieces, framing, 8, 24, 1, { positives: 'piece' as never }),
    /performance or work/,
  );
});

test('works per composer: a batch takes its works k by composer, every composer in turn; 0 keeps uniform draws', () => {
  // 24 performances of 12 works (two each): composer A has 6 works, B 4, C 1, and one work has no composer.
  const composerOfWork = ['A', 'A', 'A', 'A', 'A', 'A', 'B', 'B', 'B', 'B', 'C', undefined];
  const byComposer: SlicePiece[] = Array.from({ length: 24 }, (_, p) => ({
    ids: Int32Array.from({ length: 30 }, (_, k) => 1000 * (p + 1) + k),
    work: `w${p % 12}`,
    composer: composerOfWork[p % 12],
  }));
  const composerOf = (p: number) => byComposer[p].composer ?? byComposer[p].work;
  const sampler = new SlicePairs(byComposer, framing, 8, 24, 4, { worksPerComposer: 2 });
  for (let step = 0; step < 40; step++) {
    const batch = sampler.next(6);
    const firsts = Array.from(batch.pieces.subarray(0, 6));
    assert.equal(new Set(firsts.map((p) => byComposer[p].work)).size, 6, 'distinct works');
    const counts = new Map<string, number>();
    for (const p of firsts) counts.set(composerOf(p), (counts.get(composerOf(p)) ?? 0) + 1);
    // Four groups (A, B, C, the work without one) give 2 + 2 + 1 + 1 = 6: each group exactly its share.
    assert.deepEqual(Object.fromEntries([...counts].sort()), { A: 2, B: 2, C: 1, w11: 1 });
    // A composer's works come together: the batch is runs of one composer.
    const runs = firsts.map(composerOf).filter((c, i, a) => i === 0 || c !== a[i - 1]);
    assert.equal(runs.length, counts.size, `one run per composer: ${firsts.map(composerOf).join(' ')}`);
    checkRows(batch, byComposer);
  }
  // Past k per composer the batch goes on with the composers' other works.
  const big = new SlicePairs(byComposer, framing, 8, 24, 4, { worksPerComposer: 1 }).next(10);
  assert.equal(new Set(Array.from(big.pieces.subarray(0, 10), (p) => byComposer[p].work)).size, 10);
  // Uniform draws take one composer's works more often than k at a time.
  const plain = new SlicePairs(byComposer, framing, 8, 24, 4);
  let over = 0;
  for (let step = 0; step < 40; step++) {
    const firsts = Array.from(plain.next(6).pieces.subarray(0, 6));
    over += Number(firsts.filter((p) => composerOf(p) === 'A').length > 2);
  }
  assert.ok(over > 0);
  assert.throws(() => new SlicePairs(byComposer, framing, 8, 24, 1, { worksPerComposer: 1.5 }), /whole number/);
});

test('more pairs than works: distinct performances, some sharing a work', () => {
  const batch = new SlicePairs(pieces, framing, 4, 6, 1).next(7);
  assert.equal(new Set(batch.pieces.subarray(0, 7)).size, 7);
});

test('with views set, first views slice the first rendition and second views the second', () => {
  // Two renditions of every performance with ids of their own (and other lengths, as augmentation gives).
  const rendition = (offset: number, extra: number): SlicePiece[] =>
    pieces.map((p) => ({
      ...p,
      ids: Int32Array.from({ length: p.ids.length + extra }, (_, k) => offset + p.ids[0] + k),
    }));
  const [first, second] = [rendition(100000, 3), rendition(200000, -4)];
  const sampler = new SlicePairs(pieces, framing, 8, 24, 7);
  sampler.useViews(
    first.map((p) => p.ids),
    second.map((p) => p.ids),
  );
  for (let step = 0; step < 20; step++) checkRows(sampler.next(4), first, second);
  assert.throws(() => sampler.useViews([], []), /views of 0 and 0 performances for a split of 9/);
});

test('deterministic by seed, resumable from its state', () => {
  const a = new SlicePairs(pieces, framing, 8, 24, 5),
    b = new SlicePairs(pieces, framing, 8, 24, 5);
  a.next(3);
  const saved = a.state;
  const next = a.next(3);
  b.state = saved;
  assert.deepEqual(b.next(3), next);
  assert.notDeepEqual(
    new SlicePairs(pieces, framing, 8, 24, 6).next(3).tokens,
    new SlicePairs(pieces, framing, 8, 24, 5).next(3).tokens,
  );
  assert.throws(() => new SlicePairs(pieces.slice(0, 1), framing, 8, 24, 1), /at least 2 performances/);
  assert.throws(() => new SlicePairs(pieces, framing, 8, 4, 1), /2 ≤ min ≤ max/);
  assert.throws(() => a.next(10), /2\.\.9 pairs/);
});
