// Which song embedding a store holds: the paper's mean-pooled hidden state, or a contrastive model's head
// on it. A light module (no model, no LanceDB) so a verb can decide before loading either.
import type { Pooling } from '../run/run-model.js';

/** The pooling a store's vectors were made with (recorded in store.json as source.embedding; older stores: mean). */
export function storePooling(source: Readonly<Record<string, unknown>>): Pooling {
  return source.embedding === 'contrastive' ? 'contrastive' : 'mean';
}

/** The layer a store's mean-pooled vectors were read at (source.layer); undefined: the last hidden state. */
export function storeLayer(source: Readonly<Record<string, unknown>>): number | undefined {
  return typeof source.layer === 'number' ? source.layer : undefined;
}
