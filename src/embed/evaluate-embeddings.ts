// `motif evaluate-embeddings`'s orchestration: the same leak-aware measures for each method — the learned embedding
// (the store's vectors; excerpts embedded by the same checkpoint), a contrastive model's mean pooling, the run's
// architecture at its random initialisation (same seed), and the hand-crafted baseline vector. The metrics themselves are
// src/analysis/metrics.ts and probe.ts; this file only chooses the items, vectors and labels they get.
import { formFromTitle } from '../analysis/form.js';
import {
  accuracy,
  accuracyByLabel,
  type LabelAnswers,
  knnCeiling,
  knnPredict,
  macroF1,
  majorityAccuracy,
  bestPartRetrieval,
  retrieval,
  type Labelled,
} from '../analysis/metrics.js';
import { predictProbe, trainProbe } from '../analysis/probe.js';
import { fitStandardizer, standardize } from '../analysis/standardize.js';
import type { DatasetItem } from '../data/dataset-item.js';
import type { EmbeddingHead } from '../model/embedding-head.js';
import type { Transformer } from '../model/transformer.js';
import { embedWindows, frame, windowTokens, type WindowVector } from './extract.js';
import { prepareItems, splitPrepared, type PreparedOk } from './prepare.js';
import { randomInitModel, type RunModel } from '../run/run-model.js';
import type { EmbeddingStore } from './store.js';
import { METHODS, type Method } from './methods.js';

/** Scores of one method; keys as `motif evaluate-embeddings --json` prints them. Null where there was nothing to measure. */
export interface MethodScores {
  /**
   * A random excerpt of each performance ranked against the full vectors of all other performances: same piece.
   * Null when no piece of the split has two performances (nothing to find).
   */
  excerpt_mrr: number | null;
  excerpt_recall_at_1: number | null;
  excerpt_recall_at_5: number | null;
  /**
   * The same excerpts ranked against every window of the other performances, a performance scoring by its best
   * window (motif similar --excerpt); hand-crafted: windows of twice the excerpt's seconds. Null as excerpt_mrr.
   */
  excerpt_window_mrr: number | null;
  excerpt_window_recall_at_1: number | null;
  excerpt_window_recall_at_5: number | null;
  /** k-NN (cosine) composer vote among performances of other pieces only. */
  composer_knn_acc: number | null;
  composer_knn_macro_f1: number | null;
  /** The k-NN's right answers by composer, out of the composer's performances, and the composers it named
   *  instead (which composers it finds, and what it takes the others for). */
  composer_knn_by_composer: Record<string, LabelAnswers> | null;
  /**
   * The same k-NN with neighbours drawn only from performances by composers the train split has (every
   * performance still a query): a piece by a composer no training saw can neither be learned apart from the
   * others nor named, yet its performances, close to one another, can take all k votes of another composer's
   * query. A diagnostic beside composer_knn_acc, not a replacement. Null without train performances.
   */
  composer_knn_seen_acc: number | null;
  /** Logistic-regression probe fitted on the train split, tested on the evaluated split. */
  composer_probe_acc: number | null;
  /** Macro-F1 of the probe. */
  composer_macro_f1: number | null;
  /** Full performance → another performance of the same piece (leaky; a sanity check). Null as excerpt_mrr. */
  full_mrr: number | null;
  /** k-NN vote, piece-disjoint as for composers, of the form named by the title (performances whose title names one). */
  form_knn_acc: number | null;
  /** k-NN vote, piece-disjoint, of the mode (major or minor) of the key (from the title, else estimated from the notes). */
  mode_knn_acc: number | null;
}

/** The whole evaluation; a method is absent when it was not asked for (or, learned_mean, when the model has no head). */
export interface EvaluationReport {
  split: string;
  checkpoint: string;
  excerpt_seconds: number;
  seed: number;
  knn_k: number;
  /** The block whose output learned and random_init mean-pool (the store's --layer); absent: the last hidden state. */
  layer?: number;
  learned?: MethodScores;
  /** For a contrastive model (learned = its head's embedding): the same model's mean-pooled embedding, the paper's. */
  learned_mean?: MethodScores;
  random_init?: MethodScores;
  handcrafted?: MethodScores;
  /** Share of the evaluated performances by the most frequent composer among them. */
  majority_acc: number | null;
  /** Accuracy of always answering the train split's most frequent composer. */
  majority_acc_train_prior: number | null;
  /** The most composer k-NN can score: the share of performances whose composer has another piece in the split
   *  (a composer with one piece there has no neighbour to be named by). */
  composer_knn_ceiling: number | null;
  /** Share of the most frequent form, and mode, among the performances that have one: the bars of form_knn_acc and mode_knn_acc. */
  form_majority_acc: number | null;
  mode_majority_acc: number | null;
  counts: {
    performances: number;
    pieces: number;
    composers: number;
    train_performances: number;
    excerpt_queries: number;
    /** Performances whose piece has no other performance in the split (no answer to find). */
    excerpt_skipped: number;
    full_queries: number;
    /** Evaluated files missing from the store, embedded now with the same checkpoint. */
    embedded_now: number;
    failures: number;
  };
  failures: Array<{ id: string; error: string }>;
}

/** Options of {@link evaluateEmbeddings}. */
export interface EvaluateOptions {
  /** Split evaluated (default `test`; all items when the dataset has no splits). */
  split?: string;
  /** Split the probe is fitted on (default `train`). */
  trainSplit?: string;
  excerptSeconds?: number;
  seed?: number;
  k?: number;
  /** Window overlap for everything embedded here (default: the store's, else 0.5). */
  overlap?: number;
  workers?: number;
  /** The methods measured (default all; learned_mean only exists for a model with a contrastive head). The
   *  random-init and mean-pooled rows each embed the split and the probe's train split again, which on ASAP
   *  costs as much as the store itself: leave them out to re-measure a new store quickly. */
  methods?: ReadonlySet<Method>;
  /** Progress: a stage starts with `total` units (files or tokens); `tick` advances it. */
  onStage?: (stage: string, total: number) => void;
  tick?: (n: number) => void;
}

type Ok = PreparedOk;

/** One method's vectors: every performance (evaluated split first, then the probe's train split), the windows
 *  of the evaluated ones, and their excerpts. */
interface Vectors {
  full: ReadonlyArray<ArrayLike<number>>;
  windows: ReadonlyArray<ReadonlyArray<ArrayLike<number>>>;
  excerpts: ReadonlyArray<ArrayLike<number>>;
}

/** Evaluates the store's embeddings of `items` (a labelled dataset) with the run's model and both baselines. */
export async function evaluateEmbeddings(
  store: EmbeddingStore,
  run: RunModel,
  items: readonly DatasetItem[],
  options: EvaluateOptions = {},
): Promise<EvaluationReport> {
  const { excerptSeconds = 15, seed = 0, k = 5, methods = new Set(METHODS) } = options;
  if (methods.has('learned_mean') && !run.head && options.methods)
    throw new Error(
      'learned_mean is the mean-pooled embedding of a contrastive model; this model has no contrastive head',
    );
  const stored = store.info.source.overlap;
  const overlap = options.overlap ?? (typeof stored === 'number' ? stored : 0.5);
  const hasSplits = items.some((i) => i.split !== undefined);
  const split = options.split ?? (hasSplits ? 'test' : 'all');
  const trainSplit = options.trainSplit ?? 'train';
  const evalItems = items.filter((i) => !hasSplits || i.split === split);
  if (evalItems.length === 0) throw new Error(`no items in split '${split}'`);
  // The probe never sees a work it is tested on (ASAP: 4 works have folders in two splits), as training does not (corpus.ts).
  const evaluatedWorks = new Set(evalItems.map((i) => i.piece).filter((p) => p !== undefined));
  const trainItems =
    hasSplits && trainSplit !== split
      ? items.filter(
          (i) =>
            i.split === trainSplit &&
            i.composer !== undefined &&
            !(i.piece !== undefined && evaluatedWorks.has(i.piece)),
        )
      : [];

  options.onStage?.('reading', evalItems.length + trainItems.length);
  const prepared = await prepareItems(
    [...evalItems, ...trainItems],
    {
      tokenizerJson: run.tokenizerJson,
      sustain: run.sustain,
      instruments: run.instruments,
      handcrafted: true,
      excerpt: { seconds: excerptSeconds, seed },
    },
    { workers: options.workers, onItem: () => options.tick?.(1) },
  );
  const { failures } = splitPrepared(prepared);
  const evalOk = splitPrepared(prepared.slice(0, evalItems.length)).good;
  const trainOk = splitPrepared(prepared.slice(evalItems.length)).good;
  if (evalOk.length === 0) throw new Error(`none of the ${evalItems.length} files of split '${split}' could be read`);

  const all = [...evalOk, ...trainOk]; // eval first: rows [0, nEval) are the evaluated split
  const full = all.map((p) => frame(p.piece.ids, run.tokenizer));
  const excerpts = evalOk.map((p) => frame(p.piece.excerpt!.ids, run.tokenizer));
  // `head`: the contrastive head the learned embedding goes through (the random init and mean rows have none).
  // A run that pools a layer (run.layer) has no head; its random init is pooled at the same layer.
  const embed = (model: Transformer, stage: string, seqs: Int32Array[], head?: EmbeddingHead) => {
    options.onStage?.(stage, windowTokens(seqs, run.window, overlap));
    return embedWindows(model, seqs, {
      window: run.window,
      batch: run.batch,
      overlap,
      onTokens: options.tick,
      head,
      layer: run.layer,
    });
  };

  const nEval = evalOk.length;
  const ids = evalOk.map((p) => p.item.id);
  const vectorsOf = (windows: readonly WindowVector[]) => windows.map((w) => w.vector);
  // Learned: full and window vectors from the store; files it lacks (or whose windows it lacks: a store made
  // before it kept them, or with --no-windows) are embedded now by the same checkpoint.
  const learned = async (): Promise<Vectors & { embeddedNow: number }> => {
    const vectors = new Map((await store.all()).map((r) => [r.id, r.vector]));
    const windows = new Map<string, Float32Array[]>();
    for (const w of await store.windows(ids)) {
      if (!windows.has(w.id)) windows.set(w.id, []);
      windows.get(w.id)!.push(w.vector);
    }
    const missing = all
      .map((p, i) => (vectors.has(p.item.id) && (i >= nEval || windows.has(p.item.id)) ? -1 : i))
      .filter((i) => i >= 0);
    const fresh = embed(
      run.model,
      'embedding files missing from the store',
      missing.map((i) => full[i]),
      run.head,
    );
    missing.forEach((i, j) => {
      const id = all[i].item.id;
      if (!vectors.has(id)) vectors.set(id, fresh.vectors[j]);
      if (!windows.has(id)) windows.set(id, vectorsOf(fresh.windows[j]));
    });
    return {
      full: all.map((p) => vectors.get(p.item.id)!),
      windows: ids.map((id) => windows.get(id)!),
      excerpts: embed(run.model, 'embedding excerpts (learned)', excerpts, run.head).vectors,
      embeddedNow: missing.length,
    };
  };
  /** Full performances (with their windows) and excerpts embedded now by `model`, mean-pooled (no head). */
  const pooledBy = (model: Transformer, name: string): Vectors => {
    const embedded = embed(model, `embedding (${name})`, full);
    return {
      full: embedded.vectors,
      windows: embedded.windows.slice(0, nEval).map(vectorsOf),
      excerpts: embed(model, `embedding excerpts (${name})`, excerpts).vectors,
    };
  };
  // Hand-crafted features differ in scale by orders of magnitude: standardize with the full performances' statistics.
  const handcrafted = (): Vectors => {
    const standardizer = fitStandardizer(all.map((p) => p.piece.handcrafted!));
    return {
      full: standardize(
        all.map((p) => p.piece.handcrafted!),
        standardizer,
      ),
      windows: evalOk.map((p) => standardize(p.piece.handcraftedWindows!, standardizer)),
      excerpts: standardize(
        evalOk.map((p) => p.piece.excerpt!.handcrafted!),
        standardizer,
      ),
    };
  };

  const groups = evalOk.map((p) => p.item.piece ?? p.item.id);
  /** The evaluated performances that have a label, as [row, label] pairs. */
  const labelledBy = (label: (p: Ok) => string | undefined) =>
    evalOk.map((p, i) => [i, label(p)] as const).filter((x): x is readonly [number, string] => x[1] !== undefined);
  const labelled = labelledBy((p) => p.item.composer);
  const composers = labelled.map(([, c]) => c);
  const forms = labelledBy((p) => {
    const form = formFromTitle(p.item.title, p.item.piece);
    return form === 'other' ? undefined : form;
  });
  const modes = labelledBy((p) => p.piece.key?.split(' ')[1]);
  const trainComposers = trainOk.map((p) => p.item.composer!);
  const trainComposerSet = new Set(trainComposers);
  /** Whether each labelled performance's composer has train performances (composer_knn_seen_acc's neighbours). */
  const seenComposer = composers.map((c) => trainComposerSet.has(c));

  const score = ({ full: fullVecs, windows, excerpts: excerptVecs }: Vectors): MethodScores => {
    const gallery: Labelled = { vectors: fullVecs.slice(0, nEval), ids, groups };
    const queries: Labelled = { vectors: excerptVecs, ids, groups };
    const ex = retrieval(queries, gallery, [1, 5]);
    const exWindow = bestPartRetrieval(queries, { parts: windows, ids, groups }, [1, 5]);
    const whole = retrieval(gallery, gallery, [1]);
    // k-NN whose neighbours are never performances of the same piece (shared notes would make it easy).
    const knn = (items: ReadonlyArray<readonly [number, string]>, pool?: boolean[]): string[] | undefined =>
      items.length > 0
        ? knnPredict(
            { vectors: items.map(([i]) => fullVecs[i]), groups: items.map(([i]) => groups[i]) },
            items.map(([, l]) => l),
            k,
            pool,
          )
        : undefined;
    const knnAcc = (items: ReadonlyArray<readonly [number, string]>): number | null => {
      const predicted = knn(items);
      return predicted
        ? accuracy(
            predicted,
            items.map(([, l]) => l),
          )
        : null;
    };
    const composerKnn = knn(labelled);
    const composerKnnSeen = trainOk.length > 0 ? knn(labelled, seenComposer) : undefined;
    let probe: string[] | undefined;
    if (trainOk.length > 0 && labelled.length > 0 && trainComposerSet.size > 1) {
      const fitted = trainProbe(fullVecs.slice(nEval), trainComposers);
      probe = predictProbe(
        fitted,
        labelled.map(([i]) => fullVecs[i]),
      );
    }
    return {
      excerpt_mrr: ex.mrr,
      excerpt_recall_at_1: ex.recallAt[1],
      excerpt_recall_at_5: ex.recallAt[5],
      excerpt_window_mrr: exWindow.mrr,
      excerpt_window_recall_at_1: exWindow.recallAt[1],
      excerpt_window_recall_at_5: exWindow.recallAt[5],
      composer_knn_acc: composerKnn ? accuracy(composerKnn, composers) : null,
      composer_knn_macro_f1: composerKnn ? macroF1(composerKnn, composers) : null,
      composer_knn_by_composer: composerKnn ? accuracyByLabel(composerKnn, composers) : null,
      composer_knn_seen_acc: composerKnnSeen ? accuracy(composerKnnSeen, composers) : null,
      composer_probe_acc: probe ? accuracy(probe, composers) : null,
      composer_macro_f1: probe ? macroF1(probe, composers) : null,
      full_mrr: whole.mrr,
      form_knn_acc: knnAcc(forms),
      mode_knn_acc: knnAcc(modes),
    };
  };
  const learnedVectors = methods.has('learned') ? await learned() : undefined;
  const groupSize = new Map<string, number>();
  for (const g of groups) groupSize.set(g, (groupSize.get(g) ?? 0) + 1);
  const answerable = groups.filter((g) => groupSize.get(g)! > 1).length;
  return {
    split,
    checkpoint: run.checkpoint,
    excerpt_seconds: excerptSeconds,
    seed,
    knn_k: k,
    ...(run.layer !== undefined ? { layer: run.layer } : {}),
    ...(learnedVectors ? { learned: score(learnedVectors) } : {}),
    ...(methods.has('learned_mean') && run.head ? { learned_mean: score(pooledBy(run.model, 'mean pooling')) } : {}),
    ...(methods.has('random_init') ? { random_init: score(pooledBy(randomInitModel(run), 'random init')) } : {}),
    ...(methods.has('handcrafted') ? { handcrafted: score(handcrafted()) } : {}),
    majority_acc: composers.length ? majorityAccuracy(composers) : null,
    composer_knn_ceiling: composers.length
      ? knnCeiling(
          composers,
          labelled.map(([i]) => groups[i]),
        )
      : null,
    majority_acc_train_prior:
      composers.length && trainComposers.length ? majorityAccuracy(composers, trainComposers) : null,
    form_majority_acc: forms.length ? majorityAccuracy(forms.map(([, f]) => f)) : null,
    mode_majority_acc: modes.length ? majorityAccuracy(modes.map(([, m]) => m)) : null,
    counts: {
      performances: nEval,
      pieces: new Set(groups).size,
      composers: new Set(composers).size,
      train_performances: trainOk.length,
      excerpt_queries: answerable,
      excerpt_skipped: nEval - answerable,
      full_queries: answerable,
      embedded_now: learnedVectors?.embeddedNow ?? 0,
      failures: failures.length,
    },
    failures,
  };
}
