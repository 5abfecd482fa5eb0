// Joins the stores of a split job (`motif embed --part i/n` on n machines) into one store, as if one run had
// embedded the whole selection: the parts must cover 1..n once and come from the same model, checkpoint,
// dataset, windowing and MIDI reading (their store.json sources equal but for the part), so that their vectors
// live in one space. The merged store is written like any other (StoreWriter: unfinished under <out>.partial,
// indexed when large enough, renamed into place at the end).
import { checkPartCoverage, type PartRecord } from '../data/part.js';
import { EmbeddingStore, StoreWriter } from './store.js';

/** Merges the finished stores `parts` into a new store at `out`; returns it. */
export async function mergeStores(parts: readonly string[], out: string): Promise<EmbeddingStore> {
  if (parts.length === 0) throw new Error('nothing to merge: give the part stores');
  const stores = await Promise.all(parts.map((p) => EmbeddingStore.open(p)));
  const order = checkPartCoverage(
    stores.map((s) => s.info.source.part as PartRecord | undefined),
    parts,
  );
  const sources = stores.map(({ info }) => {
    const { part: _part, ...rest } = info.source;
    return { dim: info.dim, ...rest };
  });
  sources.forEach((source, k) => {
    const differs = Object.keys({ ...source, ...sources[0] }).find(
      (key) =>
        JSON.stringify(source[key as keyof typeof source]) !== JSON.stringify(sources[0][key as keyof typeof source]),
    );
    if (differs !== undefined)
      throw new Error(
        `${parts[k]}: its ${differs} (${JSON.stringify(source[differs as keyof typeof source])}) differs from ${parts[0]}'s; parts of one job embed with the same model and settings`,
      );
  });
  const { dim: _dim, ...source } = sources[0];
  const writer = await StoreWriter.open(out, { source });
  try {
    const seen = new Map<string, string>();
    for (const k of order) {
      const rows = await stores[k].all();
      for (const r of rows) {
        const other = seen.get(r.id);
        if (other !== undefined) throw new Error(`${parts[k]} and ${other}: both hold piece ${r.id}`);
        seen.set(r.id, parts[k]);
      }
      await writer.add(rows, await stores[k].windows());
    }
  } catch (err) {
    writer.abandon();
    throw err;
  }
  return writer.finish();
}
