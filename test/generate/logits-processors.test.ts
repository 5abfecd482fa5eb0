// Logits processors on hand-made distributions, and the seeded sampler: its frequencies follow the
// softmax, the same seed repeats its draws, another seed does not, greedy takes the largest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectClose } from '../helpers/close.js';
import { minP, softmax, temperature, topK, topP } from '../../src/generate/logits-processors.js';
import { Sampler } from '../../src/generate/sampler.js';

const logProbs = (p: number[]) => Float32Array.from(p, Math.log);
const kept = (l: Float32Array) => Array.from(l, (x, i) => (x > -Infinity ? i : -1)).filter((i) => i >= 0);

test('temperature divides the logits: below 1 sharpens, above 1 flattens, 1 leaves them', () => {
  const l = Float32Array.from([2, 1, 0, -1]);
  const sharp = Float32Array.from(l),
    flat = Float32Array.from(l),
    same = Float32Array.from(l);
  temperature(0.5)(sharp);
  temperature(2)(flat);
  temperature(1)(same);
  expectClose(sharp, [4, 2, 0, -2]);
  expectClose(flat, [1, 0.5, 0, -0.5]);
  assert.deepEqual(same, l);
  assert.ok(softmax(sharp)[0] > softmax(l)[0] && softmax(flat)[0] < softmax(l)[0]);
  assert.throws(() => temperature(0), /positive/);
});

test('top-k keeps the k largest (ties at the k-th kept); 0 keeps all', () => {
  const l = Float32Array.from([0.1, 3, 2, 2, -1, 5]);
  topK(2)(l);
  assert.deepEqual(kept(l), [1, 5]);
  const tie = Float32Array.from([0.1, 3, 2, 2, -1, 5]);
  topK(3)(tie);
  assert.deepEqual(kept(tie), [1, 2, 3, 5]);
  const all = Float32Array.from([1, 2, 3]);
  topK(0)(all);
  assert.deepEqual(kept(all), [0, 1, 2]);
});

test('top-p keeps the smallest most-likely set reaching p', () => {
  const base = [0.5, 0.05, 0.3, 0.15];
  for (const [p, want] of [
    [0.5, [0]],
    [0.51, [0, 2]],
    [0.8, [0, 2]],
    [0.81, [0, 2, 3]],
    [0.96, [0, 1, 2, 3]],
    [1, [0, 1, 2, 3]],
  ] as const) {
    const l = logProbs(base);
    topP(p)(l);
    assert.deepEqual(kept(l), want, `p = ${p}`);
  }
});

test('min-p keeps ids at least p times as likely as the most likely', () => {
  const l = logProbs([0.4, 0.2, 0.1, 0.3]);
  minP(0.45)(l);
  assert.deepEqual(kept(l), [0, 1, 3]);
  const all = logProbs([0.4, 0.2, 0.1, 0.3]);
  minP(0)(all);
  assert.equal(kept(all).length, 4);
});

test('the sampler follows the softmax, repeats itself by seed, and never draws a refused id', () => {
  const l = Float32Array.from([Math.log(0.6), Math.log(0.3), -Infinity, Math.log(0.1)]);
  const draws = (seed: number, n: number) => {
    const s = new Sampler(seed);
    return Array.from({ length: n }, () => s.sample(l));
  };
  const a = draws(1, 20000);
  const freq = [0, 1, 2, 3].map((i) => a.filter((x) => x === i).length / a.length);
  expectClose(freq, [0.6, 0.3, 0, 0.1], { atol: 0.015, rtol: 0 });
  assert.deepEqual(draws(1, 200), a.slice(0, 200), 'same seed, same draws');
  assert.notDeepEqual(draws(2, 200), a.slice(0, 200), 'another seed, other draws');
  assert.equal(new Sampler(0, true).sample(l), 0, 'greedy takes the largest');
  assert.equal(new Sampler(0).sample(Float32Array.from([-Infinity, -Infinity])), -1, 'nothing allowed: -1');
});
