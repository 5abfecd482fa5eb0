// Joins the shard folders of a split job (`motif tokenize --part i/n` on n machines) into one shard folder, as
// if one run had tokenized the whole selection: the parts must all be finished, cover 1..n once and agree on
// everything that decides what an id means (tokenizer, id type, how MIDI was read). The .bin files are hard-linked
// where the file system allows (no copy of a large corpus) and copied where it does not; the index is written last,
// so an interrupted merge leaves no index.json that claims a whole.
import { copyFileSync, existsSync, linkSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir } from '../util/atomic.js';
import { checkPartCoverage } from './part.js';
import { readingOf, readIndexIfAny, shardFileName, writeShardIndex, type ShardHeader, type ShardIndex, type ShardPiece } from './shards.js';

/** What merging did. */
export interface MergeShardsResult {
  readonly index: ShardIndex;
  /** Shard files linked (or copied, where linking failed). */
  readonly linked: number;
  readonly copied: number;
}

/** Merges the part folders `parts` into the new folder `out`. */
export function mergeShards(parts: readonly string[], out: string): MergeShardsResult {
  if (parts.length === 0) throw new Error('nothing to merge: give the part folders');
  const indexes = parts.map((dir) => {
    const index = readIndexIfAny(dir);
    if (!index) throw new Error(`${dir}: no index.json (not a motif shard folder)`);
    if (!index.complete) throw new Error(`${dir}: unfinished (its tokenize run stopped); finish it with --resume first`);
    return index;
  });
  const order = checkPartCoverage(
    indexes.map((i) => i.part),
    parts,
  );
  indexes.forEach((index, k) => {
    const differs = (Object.keys(MEANING) as Array<keyof typeof MEANING>).find(
      (key) => MEANING[key](index) !== MEANING[key](indexes[0]),
    );
    if (differs)
      throw new Error(
        `${parts[k]}: its ${differs} (${MEANING[differs](index)}) differs from ${parts[0]}'s (${MEANING[differs](indexes[0])}); parts of one job agree on it`,
      );
  });
  if (existsSync(out) && readdirSync(out).length > 0) throw new Error(`${out}: exists and is not empty; choose a new --out`);
  ensureDir(out);

  const shards: Array<ShardIndex['shards'][number]> = [];
  const pieces: ShardPiece[] = [];
  const failures: Array<ShardIndex['failures'][number]> = [];
  const perSplit = new Map<string, number>();
  const ids = new Map<string, string>();
  let linked = 0;
  let copied = 0;
  for (const k of order) {
    const renamed = new Map<string, string>();
    for (const s of indexes[k].shards) {
      const n = perSplit.get(s.split) ?? 0;
      perSplit.set(s.split, n + 1);
      const file = shardFileName(s.split, n);
      if (placeFile(join(parts[k], s.file), join(out, file))) linked++;
      else copied++;
      renamed.set(s.file, file);
      shards.push({ ...s, file });
    }
    for (const p of indexes[k].pieces) {
      const other = ids.get(p.id);
      if (other !== undefined) throw new Error(`${parts[k]} and ${other}: both hold piece ${p.id}`);
      ids.set(p.id, parts[k]);
      pieces.push({ ...p, shard: renamed.get(p.shard)! });
    }
    for (const f of indexes[k].failures) failures.push(f);
  }
  const { part: _part, ...header } = headerOf(indexes[order[0]]);
  const index: ShardIndex = { format: 'motif-shards', version: 1, ...header, complete: true, shards, pieces, failures };
  writeShardIndex(out, index);
  return { index, linked, copied };
}

/** What an id means, per field a part's index states: parts that differ in any of them hold different tokens. */
const MEANING = {
  tokenizer: (i: ShardIndex) => i.tokenizer.sha256,
  dtype: (i: ShardIndex) => i.dtype,
  vocabulary: (i: ShardIndex) => String(i.vocabSize),
  'special ids': (i: ShardIndex) => JSON.stringify(i.specialIds ?? null),
  // The pedal rule and instrument policy as resuming compares them (a part from before a choice read as its default).
  'MIDI reading': readingOf,
  'dataset layout': (i: ShardIndex) => i.dataset.layout,
} as const;

function headerOf(index: ShardIndex): ShardHeader {
  const { format: _f, version: _v, complete: _c, shards: _s, pieces: _p, failures: _x, ...header } = index;
  return header;
}

/** Hard-links `from` to `to` (true), or copies it where the file system cannot link (false). */
function placeFile(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP') throw err;
    copyFileSync(from, to);
    return false;
  }
}
