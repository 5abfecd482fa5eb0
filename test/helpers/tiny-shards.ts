// Synthetic token shards for end-to-end training tests on the tiny preset (vocabulary 64): pieces of a
// noisy counting pattern, written with the real ShardWriter so the trainer reads the real format.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ShardWriter } from '../../src/data/shards.js';
import { Rng } from '../../src/util/rng.js';

/** Writes shards with train/validation/test splits under `dir`; pieces are at most `maxLen` ids. */
export function writeTinyShards(dir: string, { maxLen = 28, seed = 3 } = {}): string {
  mkdirSync(dir, { recursive: true });
  // The trainer only copies and hashes the tokenizer file; its contents do not matter here.
  const tokText = '{"tiny": "test tokenizer"}\n';
  const tokPath = join(dir, 'tokenizer.json');
  writeFileSync(tokPath, tokText);
  const writer = new ShardWriter(dir, {
    dtype: 'uint16',
    vocabSize: 64,
    tokenizer: { path: tokPath, sha256: createHash('sha256').update(tokText).digest('hex') },
    specialIds: { pad: 0, bos: 1, eos: 2, mask: 3 },
    dataset: { root: dir, layout: 'folder' },
  });
  const r = new Rng(seed);
  for (const [split, n] of [
    ['train', 24],
    ['validation', 5],
    ['test', 6],
  ] as const) {
    for (let i = 0; i < n; i++) {
      const len = 4 + r.nextInt(maxLen - 3);
      let x = 4 + r.nextInt(60);
      const ids = Int32Array.from(
        { length: len },
        () => (x = r.nextFloat() < 0.85 ? 4 + ((x - 4 + 3) % 60) : 4 + r.nextInt(60)),
      );
      writer.add(
        { id: `${split}/${i}.mid`, path: join(dir, `${split}-${i}.mid`), kind: 'performance', split },
        ids,
        Math.ceil(len / 3),
      );
    }
  }
  writer.finish();
  return dir;
}
