// The train split re-tokenized with fresh augmentations each epoch. Each piece's MIDI file is read
// again, augmented (src/data/augment.ts) and BPE-encoded on every core: the whole ASAP train split
// takes about two seconds, so notes are not cached between epochs (a cache would hold ~2 M notes to
// save ~1 s per 10-minute epoch). Epoch e's draws come from a generator seeded by (seed, e) alone,
// so a resumed run rebuilds exactly the corpus it was training on.
import { drawAugmentation, type AugmentRanges, type Augmentation } from '../data/augment.js';
import { encodeItems, type EncoderSpec } from '../data/encode.js';
import type { ShardPiece } from '../data/shards.js';
import { Rng } from '../util/rng.js';

/** The augmented pieces of one epoch, in the order of the given pieces. */
export type EpochPieces = (epoch: number) => Promise<Int32Array[]>;

/** The augmentation of every piece in epoch `epoch`. */
export function epochAugmentations(count: number, ranges: AugmentRanges, seed: number, epoch: number): Augmentation[] {
  // A stream per epoch, independent of the window sampler's, so neither disturbs the other on resume.
  const rng = new Rng((seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0);
  return Array.from({ length: count }, () =>
    drawAugmentation(ranges, [rng.nextFloat(), rng.nextFloat(), rng.nextFloat()]),
  );
}

/**
 * Augmented ids of `pieces` for any epoch. The files must still be where the shards say they were
 * tokenized from; one that cannot be read stops training with its name (training on fewer pieces
 * than the run was set up with would silently change the experiment).
 */
export function augmentedEpochs(
  pieces: readonly ShardPiece[],
  spec: EncoderSpec,
  ranges: AugmentRanges,
  seed: number,
  workers?: number,
): EpochPieces {
  return async (epoch) => {
    const draws = epochAugmentations(pieces.length, ranges, seed, epoch);
    const out: Int32Array[] = [];
    for await (const r of encodeItems(pieces, spec, { workers, augmentation: (i) => draws[i] })) {
      if (!r.ok)
        throw new Error(
          `augmentation re-reads the MIDI files the shards were made from, and ${r.item.path} failed: ${r.error}`,
        );
      out.push(r.ids);
    }
    return out;
  };
}
