// The KV-cached decoder against the full forward: at every step, the logits of the cached path equal
// those of Transformer.logits over the same prefix (the same window after a reset and re-encode), for
// both layouts, one and several streams, a shared prompt, on every kernel table this CPU has.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectClose } from '../helpers/close.js';
import { withIsa } from '../helpers/isa.js';
import { Transformer } from '../../src/model/transformer.js';
import { loadPreset } from '../../src/model/config.js';
import { native } from '../../src/model/native.js';

const tiny = loadPreset('tiny').model;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

const layouts = [
  { layout: 'post-ln', activation: 'relu' },
  { layout: 'pre-ln', activation: 'gelu', tiedHead: true, headBias: false },
] as const;

for (const isa of native.availableIsas()) {
  for (const arch of layouts) {
    for (const streams of [1, 3]) {
      test(`cached logits equal the full forward (${isa}, ${arch.layout}, ${streams} stream${streams > 1 ? 's' : ''}, across a slide)`, () => {
        withIsa(isa, () => {
          const capacity = 20,
            keep = 9,
            total = 36;
          const model = Transformer.create({ ...tiny, ...arch, maxLen: 24 }, 3);
          const V = model.config.vocabSize;
          const next = lcg(17 + streams);
          const seqs = Array.from({ length: streams }, () =>
            Array.from({ length: total }, () => 1 + (next() % (V - 1))),
          );
          const prompt = 5;
          for (let s = 1; s < streams; s++) seqs[s].splice(0, prompt, ...seqs[0].slice(0, prompt)); // a common prompt
          const dec = model.decoder(streams, capacity);
          let start = 0; // first position of the window the cache holds
          const check = (logits: Float32Array, end: number, label: string) => {
            const width = end - start;
            const window = Int32Array.from(seqs.flatMap((q) => q.slice(start, end)));
            const rows = Int32Array.from({ length: streams }, (_, s) => s * width + width - 1);
            expectClose(logits, model.logits(window, streams, width, rows), { rtol: 1e-5, atol: 1e-5, label });
          };
          check(dec.appendShared(Int32Array.from(seqs[0].slice(0, prompt))), prompt, 'shared prompt');
          let slides = 0;
          for (let t = prompt; t < total; t++) {
            if (dec.length === capacity) {
              dec.reset();
              start = t - keep;
              const tail = Int32Array.from(seqs.flatMap((q) => q.slice(start, t)));
              check(dec.append(tail, keep), t, `re-encoded window at ${t}`);
              slides++;
            }
            const logits = dec.append(
              Int32Array.from(seqs, (q) => q[t]),
              1,
            );
            check(logits, t + 1, `step ${t}`);
            assert.equal(dec.length, t + 1 - start);
          }
          assert.ok(slides >= 2, 'the test must cross a window slide');
        });
      });
    }
  }
}

test('the decoder refuses what it cannot hold: capacity beyond maxLen, appends past capacity, bad ids', () => {
  const model = Transformer.create(tiny, 1);
  assert.throws(() => model.decoder(1, tiny.maxLen + 1), /capacity must be in 1\.\.64/);
  const dec = model.decoder(2, 4);
  assert.throws(() => dec.appendShared(new Int32Array(5).fill(1)), /exceed its capacity 4/);
  assert.throws(() => dec.append(Int32Array.from([1, tiny.vocabSize]), 1), /outside \[0, 64\)/);
  assert.throws(() => dec.append(new Int32Array(1), 1), /too short/);
  assert.equal(dec.length, 0, 'a refused append leaves the cache as it was');
});
