// Which song embedding a store holds or a verb computes: the paper's mean-pooled hidden state, or a
// contrastive model's head on it. A light module (no model, no LanceDB) so the CLI can decide before loading either.

/** 'mean': the mean-pooled last hidden state; 'contrastive': the head's unit vector of it; 'auto': the head where the model has one. */
export type Pooling = 'auto' | 'mean' | 'contrastive';

/** The pooling a store's vectors were made with (recorded in store.json as source.embedding; older stores: mean). */
export function storePooling(source: Readonly<Record<string, unknown>>): Pooling {
  return source.embedding === 'contrastive' ? 'contrastive' : 'mean';
}
