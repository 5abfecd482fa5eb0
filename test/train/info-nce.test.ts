// Symmetric InfoNCE: a batch worked out by hand, gradients against central finite differences of the loss,
// and the top-1 rate.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { infoNce } from '../../src/train/info-nce.js';
import { Rng } from '../../src/util/rng.js';
import { expectClose } from '../helpers/close.js';

test('two orthogonal pairs at τ = 1: loss log(1 + e) − 1, gradients ∓1 / (2(1 + e))', () => {
  const a = [1, 0, 0, 1],
    b = [1, 0, 0, 1];
  const r = infoNce(a, b, 2, 2, 1);
  const g = 1 / (2 * (1 + Math.E));
  expectClose(r.loss, Math.log(1 + Math.E) - 1, { rtol: 1e-12, label: 'loss' });
  expectClose(r.dA, [-g, g, g, -g], { rtol: 1e-12, label: 'dA' });
  expectClose(r.dB, [-g, g, g, -g], { rtol: 1e-12, label: 'dB' });
  assert.equal(r.top1, 1);
  // Swapping the pairs of one side makes every view find the wrong one first.
  assert.equal(infoNce(a, [0, 1, 1, 0], 2, 2, 1).top1, 0);
});

test('one group at weight 1: targets ½ on each pair, loss log(1 + e) − ½, gradients ±(e − 1) / (4(1 + e))', () => {
  const a = [1, 0, 0, 1],
    b = [1, 0, 0, 1];
  const r = infoNce(a, b, 2, 2, 1, { groups: [7, 7], weight: 1 });
  const g = (Math.E - 1) / (4 * (1 + Math.E));
  expectClose(r.loss, Math.log(1 + Math.E) - 0.5, { rtol: 1e-12, label: 'loss' });
  expectClose(r.dA, [g, -g, -g, g], { rtol: 1e-12, label: 'dA' });
  expectClose(r.dB, [g, -g, -g, g], { rtol: 1e-12, label: 'dB' });
  // Weight 0, or pairs of different groups or none, are plain InfoNCE.
  const plain = infoNce(a, b, 2, 2, 1);
  for (const soft of [
    { groups: [7, 7], weight: 0 },
    { groups: [1, 2], weight: 0.5 },
    { groups: [-1, -1], weight: 0.5 },
  ])
    expectClose(infoNce(a, b, 2, 2, 1, soft).loss, plain.loss, { rtol: 1e-12, label: JSON.stringify(soft) });
});

for (const soft of [undefined, { groups: [0, 1, 0, -1, 0], weight: 0.6 }])
  test(`gradients equal central finite differences of the loss (${soft ? 'group targets' : 'own pairs'})`, () => {
    const rng = new Rng(3);
    const B = 5,
      D = 4,
      tau = 0.2;
    const a = Float64Array.from({ length: B * D }, () => rng.nextFloat() - 0.5);
    const b = Float64Array.from({ length: B * D }, () => rng.nextFloat() - 0.5);
    const { dA, dB } = infoNce(a, b, B, D, tau, soft);
    const h = 1e-6;
    for (const [x, grad, label] of [
      [a, dA, 'dA'],
      [b, dB, 'dB'],
    ] as const) {
      const numeric = Float64Array.from(x, (v, i) => {
        x[i] = v + h;
        const up = infoNce(a, b, B, D, tau, soft).loss;
        x[i] = v - h;
        const down = infoNce(a, b, B, D, tau, soft).loss;
        x[i] = v;
        return (up - down) / (2 * h);
      });
      expectClose(grad, numeric, { rtol: 1e-6, atol: 1e-8, label });
    }
  });

test('bad shapes and temperatures are refused', () => {
  assert.throws(() => infoNce([1, 2, 3], [1, 2, 3, 4], 2, 2, 1), /views of 3 and 4 values for 2 pairs of 2/);
  assert.throws(() => infoNce([1, 0, 0, 1], [1, 0, 0, 1], 2, 2, 0), /temperature must be positive/);
  assert.throws(() => infoNce([1, 0, 0, 1], [1, 0, 0, 1], 2, 2, 1, { groups: [0], weight: 0.5 }), /1 groups for 2/);
  assert.throws(
    () => infoNce([1, 0, 0, 1], [1, 0, 0, 1], 2, 2, 1, { groups: [0, 0], weight: 1.5 }),
    /group weight must be in \[0, 1\]/,
  );
});
