// Work split over machines: `--part i/n` takes the i-th of n contiguous blocks of a dataset's items (in id
// order, which openDataset guarantees), so n cluster jobs that list the same dataset take disjoint parts that
// cover it. Each part's output records which part it is (PartRecord); `motif merge` checks the records
// before joining the outputs (src/data/merge-shards.ts, src/embed/merge-stores.ts).

/** Which part of how many (1-based `index`). */
export interface Part {
  readonly index: number;
  readonly count: number;
}

/** What a part's output records: the part, and how many items the whole selection had (so parts of different listings are not merged). */
export interface PartRecord extends Part {
  readonly of: number;
}

/** Parses "i/n" (1 ≤ i ≤ n); throws a message naming the text otherwise. */
export function parsePart(text: string): Part {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!(index >= 1 && count >= 1 && index <= count))
    throw new Error(`--part ${JSON.stringify(text)}: expected i/n with 1 ≤ i ≤ n, e.g. 2/8`);
  return { index, count };
}

/** The items of `part`: block i of n near-equal contiguous blocks (sizes differ by at most one). */
export function selectPart<T>(items: readonly T[], part: Part): T[] {
  const start = Math.floor(((part.index - 1) * items.length) / part.count);
  const end = Math.floor((part.index * items.length) / part.count);
  return items.slice(start, end);
}

/** The record a part's output keeps. */
export function partRecord(part: Part, items: number): PartRecord {
  return { index: part.index, count: part.count, of: items };
}

/**
 * Checks that `records` (one per output to merge, in the order given) are the parts 1..n of one split of
 * one selection, each once; returns the outputs' order by part index. `names` name the outputs in errors.
 */
export function checkPartCoverage(records: ReadonlyArray<PartRecord | undefined>, names: readonly string[]): number[] {
  const missing = records.findIndex((r) => r === undefined);
  if (missing >= 0)
    throw new Error(`${names[missing]}: was not made with --part i/n, so it is not a part to merge (it is whole already)`);
  const parts = records as readonly PartRecord[];
  const { count, of } = parts[0];
  parts.forEach((r, k) => {
    if (r.count !== count || r.of !== of)
      throw new Error(
        `${names[k]}: is part ${r.index}/${r.count} of ${r.of} items, ${names[0]} part ${parts[0].index}/${count} of ${of}: parts of different splits cannot be merged`,
      );
  });
  const order = parts.map((_, k) => k).sort((a, b) => parts[a].index - parts[b].index);
  const seen = new Map<number, string>();
  for (const k of order) {
    const other = seen.get(parts[k].index);
    if (other !== undefined) throw new Error(`${names[k]} and ${other}: both are part ${parts[k].index}/${count}`);
    seen.set(parts[k].index, names[k]);
  }
  const absent = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (absent.length > 0)
    throw new Error(`parts ${absent.map((i) => `${i}/${count}`).join(', ')} are missing; merge needs all ${count}`);
  return order;
}
