// The token shards as the trainer sees them: pieces of one split (unframed ids with note counts), the
// framing ids, and the tokenizer reference. A thin view over src/data/shards.ts, which owns the format.
// Pieces of datasets without splits (plain folders) are assigned 80/10/10 to train/validation/test by
// a hash of their id, so every run over the same files holds out the same pieces. A held-out split holds out
// works: train pieces of a work that also has pieces in another split are left out of `train` (ASAP assigns
// splits by folder, and four of its works have folders in two splits: a model trained on a test work's notes
// would find its excerpts for the wrong reason). python/motif_data.py applies the same rule.
import { SPECIAL_TOKENS } from '../tokenizer/midi-tokenizer.js';
import { NO_SPLIT, openShards, type ShardIndex, type ShardPiece } from '../data/shards.js';
import type { Framing } from './batches.js';

/** An opened shard set, ready for batching. */
export interface Corpus {
  readonly dir: string;
  readonly index: ShardIndex;
  readonly framing: Framing;
  /** Names of the splits present, in index order. */
  readonly splits: string[];
  /** Ids of the train pieces left out because their work also has pieces in another split. */
  readonly trainOverlap: string[];
  /** The pieces of a split with their ids (views into the shards); `all` is every piece, whatever its split.
   *  `train` lacks the pieces of {@link trainOverlap}. */
  split(name: string): Array<{ piece: ShardPiece; ids: Uint16Array | Int32Array }>;
}

/** The split of a piece: its own, or for pieces without one a stable 80/10/10 draw from its id. */
export function splitOf(piece: Pick<ShardPiece, 'id' | 'split'>): string {
  if (piece.split !== NO_SPLIT) return piece.split;
  // FNV-1a: a fixed, platform-independent hash of the id.
  let h = 0x811c9dc5;
  for (let i = 0; i < piece.id.length; i++) h = Math.imul(h ^ piece.id.charCodeAt(i), 0x01000193) >>> 0;
  const bucket = h % 10;
  return bucket === 0 ? 'validation' : bucket === 1 ? 'test' : 'train';
}

/** The split name that means every piece of the shards (a dataset without splits, or all of one with them). */
export const ALL_PIECES = NO_SPLIT;

/** Opens token shards written by `motif tokenize`; refuses an incomplete (crashed) set. */
export function openCorpus(dir: string): Corpus {
  const shards = openShards(dir);
  const index = shards.index;
  if (!index.complete)
    throw new Error(
      `${dir}: the token shards are incomplete (tokenizing was interrupted); finish them with motif tokenize --resume`,
    );
  // Indexes record the ids by role; older ones without them used the tokenizer's fixed special ids.
  const special = (role: string, name: (typeof SPECIAL_TOKENS)[number]): number =>
    index.specialIds?.[role] ?? SPECIAL_TOKENS.indexOf(name);
  const framing = { padId: special('pad', '<PAD>'), bosId: special('bos', '<CLS>'), eosId: special('eos', '<EOS>') };
  const splits = [...new Set(index.pieces.map(splitOf))];
  const heldOutWorks = new Set(index.pieces.filter((p) => splitOf(p) !== 'train' && p.piece).map((p) => p.piece));
  const overlaps = (p: ShardPiece) => splitOf(p) === 'train' && p.piece !== undefined && heldOutWorks.has(p.piece);
  return {
    dir,
    index,
    framing,
    splits,
    trainOverlap: index.pieces.filter(overlaps).map((p) => p.id),
    split(name) {
      const pieces =
        name === ALL_PIECES
          ? index.pieces
          : index.pieces.filter((p) => splitOf(p) === name && !(name === 'train' && overlaps(p)));
      if (pieces.length === 0)
        throw new Error(`${dir}: no pieces in split "${name}" (splits present: ${splits.join(', ') || 'none'})`);
      return pieces.map((piece) => ({ piece, ids: shards.tokens(piece) }));
    },
  };
}
