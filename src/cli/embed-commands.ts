// The `motif embed`, `motif similar` and `motif evaluate` verbs: flags, progress and printing around
// src/embed/. The model, LanceDB and the native core load only when one of these verbs runs.
import { existsSync, realpathSync, statSync } from 'node:fs';
import { Command, Option } from 'commander';
import { isMidiPath } from '../data/dataset.js';
import type { EvaluationReport, MethodScores } from '../embed/evaluate.js';
import type { EmbeddingRow, Neighbour } from '../embed/store.js';
import { storePooling, type Pooling } from '../embed/pooling.js';
import { EXIT, printJson, processIo, reportFailures, round, startProgress, UsageError, type CliIo, type Progress } from './output.js';
import { CHECKPOINT_HELP, datasetOptions, numberParser, openDatasetFromCli, positiveInt, positiveSeconds, seedValue, type DatasetCliOptions } from './shared.js';

const share = numberParser((x) => x >= 0 && x < 1, 'a number in [0, 1)');

/** One progress bar per stage of a long job. */
function stagedProgress(io: CliIo, json: boolean): { onStage: (stage: string, total: number) => void; tick: (n: number) => void; stop: () => void } {
  let bar: Progress | undefined;
  return {
    onStage: (stage, total) => {
      bar?.stop();
      bar = startProgress(io, json, total, stage);
    },
    tick: (n) => bar?.tick(n),
    stop: () => bar?.stop(),
  };
}

/** The run, checkpoint and pooling a store was made with, unless the user names another run or checkpoint. */
function runOf(store: { info: { source: Record<string, unknown> } }, run: string | undefined, checkpoint: string | undefined): { run: string; checkpoint: string; pooling: Pooling } {
  const src = store.info.source;
  const dir = run ?? (typeof src.run === 'string' ? src.run : undefined);
  if (!dir) throw new UsageError('this store does not record its run; pass --run <dir>');
  // The store's own checkpoint only applies to the store's own run.
  const same = run === undefined || (typeof src.run === 'string' && statSafe(run) === statSafe(src.run));
  return { run: dir, checkpoint: checkpoint ?? (same && typeof src.checkpoint === 'string' ? src.checkpoint : 'best'), pooling: storePooling(src) };
}

function statSafe(path: string): string | undefined {
  try {
    const s = statSync(path);
    return `${s.dev}:${s.ino}`;
  } catch {
    return undefined;
  }
}

interface EmbedCliOptions extends DatasetCliOptions {
  run: string;
  checkpoint: string;
  data: string;
  out: string;
  overlap?: number;
  pooling: Pooling;
  overwrite?: boolean;
  resume?: boolean;
  workers?: number;
  json?: boolean;
  progress: boolean;
}

interface SimilarCliOptions {
  store: string;
  run?: string;
  checkpoint?: string;
  k: number;
  split?: string;
  json?: boolean;
}

interface EvaluateCliOptions {
  store: string;
  run?: string;
  checkpoint?: string;
  data: string;
  split?: string;
  trainSplit: string;
  seconds: number;
  seed: number;
  k: number;
  workers?: number;
  json?: boolean;
  progress: boolean;
}

/** Adds `embed`, `similar` and `evaluate` to a commander program; `exit` receives exit code 2 when files were skipped. */
export function registerEmbedCommands(program: Command, io: CliIo = processIo, exit: (code: number) => void = (c) => void (process.exitCode = c)): void {
  datasetOptions(
    program
      .command('embed')
      .summary("Embed every piece of a dataset with a run's model into a searchable store.")
      .description(
        "One vector per piece: the mean of the model's last hidden states over the piece framed by bos/eos (or, for a contrastive model, " +
          "the mean of its head's embeddings of those windows; --pooling). Pieces longer than the " +
          "run's sequence length are cut into overlapping windows whose vectors are averaged, each weighted by the tokens it adds.\n\n" +
          'The store (a LanceDB table plus store.json) keeps each vector with composer, title, piece, performer, file, split, key ' +
          '(from the title, else estimated from the notes with Krumhansl–Kessler profiles), form (from the title), duration and note count.\n\n' +
          'Pieces are committed to <out>.partial every few dozen; an interrupted run keeps them (continue with --resume), and the folder ' +
          'is renamed to <out> when complete. Files that cannot be read are skipped, listed on stderr, and the exit code is 2.',
      )
      .requiredOption('--run <dir>', 'run directory (motif train --out)')
      .option('--checkpoint <which>', CHECKPOINT_HELP, 'best')
      .requiredOption('--data <dataset>', 'a folder of MIDI files, an ASAP metadata.csv (or its folder), a MAESTRO v3 folder, or one MIDI file')
      .requiredOption('--out <store>', 'store folder to create'),
  )
    .option('--overlap <share>', 'share of each window overlapping the previous one', share, 0.5)
    .addOption(new Option('--pooling <kind>', "auto: a contrastive model's embedding head where the run has one, else the mean-pooled hidden state; mean: always the mean (the paper's); contrastive: the head, or an error").choices(['auto', 'mean', 'contrastive']).default('auto'))
    .option('--overwrite', 'replace an existing (or unfinished) store at --out')
    .option('--resume', 'continue the unfinished store an interrupted run left at --out')
    .option('--workers <n>', 'threads reading and tokenizing files (default: one per core)', positiveInt)
    .option('--json', 'print one JSON summary')
    .option('--no-progress', 'no progress bars')
    .action(async (opts: EmbedCliOptions) => {
      const ds = openDatasetFromCli(opts.data, opts);
      const { loadRunModel } = await import('../embed/run-model.js');
      const { embedDataset } = await import('../embed/embed-dataset.js');
      const run = loadRunModel(opts.run, opts.checkpoint, opts.pooling);
      const bars = stagedProgress(io, Boolean(opts.json) || !opts.progress);
      const t0 = performance.now();
      let tEmbed = t0;
      let result;
      try {
        bars.onStage('read + tokenize', ds.items.length);
        result = await embedDataset(run, ds.items, {
          out: opts.out, overwrite: opts.overwrite, resume: opts.resume, overlap: opts.overlap, workers: opts.workers,
          source: { dataset: ds.dataset.root, split: ds.split ?? null },
          onPrepared: () => bars.tick(1),
          onEmbedStart: (tokens) => {
            tEmbed = performance.now();
            bars.onStage('embed (tokens)', tokens);
          },
          onTokens: (n) => bars.tick(n),
        });
      } finally {
        bars.stop();
      }
      const embedS = (performance.now() - tEmbed) / 1000;
      const summary = {
        store: opts.out, checkpoint: run.checkpoint, pieces: result.pieces, resumed: result.resumed, files: ds.items.length, failed: result.failures.length, dim: run.model.config.dModel,
        tokens: result.tokens, tokensPerSecond: Math.round(result.tokens / embedS), seconds: round((performance.now() - t0) / 1000), failures: result.failures,
      };
      if (opts.json) printJson(io, summary);
      else {
        const kept = result.resumed ? ` (${result.resumed} kept from the interrupted run)` : '';
        io.out(`embedded ${result.pieces} of ${ds.items.length} files${kept} (${result.tokens} window tokens, ${summary.tokensPerSecond} tokens/s) with ${run.checkpoint}\n`);
        io.out(`wrote ${run.model.config.dModel}-d vectors and metadata to ${opts.out}\n`);
      }
      reportFailures(io, result.failures, ds.items.length);
      if (result.failures.length > 0) exit(EXIT.partial);
    });

  program
    .command('similar')
    .summary('The pieces nearest to a MIDI file or to a piece in a store.')
    .description(
      'Nearest pieces by cosine distance (1 − cosine similarity) in an embedding store. The query is a piece id of the store ' +
        "(its file path relative to the dataset), or a MIDI file, which is read, tokenized and embedded with the store's run and checkpoint.",
    )
    .argument('<query>', 'a .mid/.midi file, or the id of a piece in the store')
    .requiredOption('--store <dir>', 'embedding store (motif embed --out)')
    .option('--run <dir>', "run whose model embeds a MIDI query (default: the store's run)")
    .option('--checkpoint <which>', `${CHECKPOINT_HELP} (default: the store's)`)
    .option('--k <n>', 'neighbours to list', positiveInt, 10)
    .option('--split <name>', 'only neighbours from this split')
    .option('--json', 'print the neighbours as JSON')
    .action(async (query: string, opts: SimilarCliOptions) => {
      const { openStore } = await import('../embed/store.js');
      const store = await openStore(opts.store).catch((err: Error) => Promise.reject(new UsageError(err.message)));
      let vector: Float32Array;
      // The query itself is not its own neighbour, whether named by id or by a file the store holds.
      let isQuery: (row: EmbeddingRow) => boolean;
      const row = await store.get(query);
      if (row) {
        vector = row.vector;
        isQuery = (r) => r.id === row.id;
      } else if (existsSync(query) && isMidiPath(query)) {
        vector = await embedFile(query, runOf(store, opts.run, opts.checkpoint), { path: opts.store, source: store.info.source });
        const file = realpathSync(query);
        isQuery = (r) => existsSync(r.file) && realpathSync(r.file) === file;
      } else {
        throw new UsageError(`${query}: neither a MIDI file nor a piece id in ${opts.store}`);
      }
      const found = await store.nearest(vector, opts.k + 1, opts.split ? { split: opts.split } : {});
      if (found.length === 0 && opts.split !== undefined) {
        const splits = [...new Set((await store.all()).map((r) => r.split ?? '(none)'))].sort();
        throw new UsageError(`no piece of ${opts.store} is in split '${opts.split}' (its splits: ${splits.join(', ')})`);
      }
      const hits = found.filter((h) => !isQuery(h.row)).slice(0, opts.k);
      if (opts.json) printJson(io, { query, neighbours: hits.map(neighbourJson) });
      else io.out(formatNeighbours(query, hits));
    });

  program
    .command('evaluate')
    .summary('Objective quality of a store: excerpt→piece retrieval, piece-disjoint composer k-NN and probe, vs two baselines.')
    .description(
      'Measures on one split (default test), for three methods: the learned embeddings (the store), the same architecture at its ' +
        'random initialisation (the run seed), and a hand-crafted vector (pitch-class histogram, pitch, density, velocity, IOI statistics).\n\n' +
        '  excerpt_mrr, excerpt_recall_at_1/5: a random excerpt (--seconds, fixed --seed) of each performance ranked against the full ' +
        'vectors of all other performances; a hit is another performance of the same piece.\n' +
        '  composer_knn_acc: k-NN (cosine) whose neighbours never include performances of the same piece.\n' +
        '  composer_probe_acc, composer_macro_f1: logistic regression fitted on --train-split, tested on the split.\n' +
        '  full_mrr: whole performance → same piece (leaky: shared notes make this easy; a sanity check).\n' +
        '  form_knn_acc, mode_knn_acc: piece-disjoint k-NN of the form named by the title, and of the mode (major/minor) of the key.\n' +
        'majority_acc (form_majority_acc, mode_majority_acc) is the share of the most frequent composer (form, mode) in the split: the bar each k-NN must clear.',
    )
    .requiredOption('--store <dir>', 'embedding store (motif embed --out)')
    .requiredOption('--data <dataset>', 'the labelled dataset the store was made from (or another one)')
    .option('--run <dir>', "run directory (default: the store's run)")
    .option('--checkpoint <which>', `${CHECKPOINT_HELP} (default: the store's)`)
    .option('--split <name>', 'split evaluated (default: test)')
    .option('--train-split <name>', 'split the probe is fitted on', 'train')
    .option('--seconds <s>', 'excerpt length', positiveSeconds, 15)
    .option('--seed <n>', 'seed of the excerpt positions', seedValue, 0)
    .option('--k <n>', 'neighbours of the composer k-NN', positiveInt, 5)
    .option('--workers <n>', 'threads reading and tokenizing files (default: one per core)', positiveInt)
    .option('--json', 'print the evaluation as JSON')
    .option('--no-progress', 'no progress bars')
    .action(async (opts: EvaluateCliOptions) => {
      const { openStore } = await import('../embed/store.js');
      const { loadRunModel } = await import('../embed/run-model.js');
      const { evaluateEmbeddings } = await import('../embed/evaluate.js');
      const store = await openStore(opts.store).catch((err: Error) => Promise.reject(new UsageError(err.message)));
      const { run, checkpoint, pooling } = runOf(store, opts.run, opts.checkpoint);
      const { checkStoreModel } = await import('../embed/run-model.js');
      const ds = openDatasetFromCli(opts.data, {});
      const bars = stagedProgress(io, Boolean(opts.json) || !opts.progress);
      let report: EvaluationReport;
      try {
        const model = loadRunModel(run, checkpoint, pooling);
        checkStoreModel(opts.store, store.info.source, model);
        report = await evaluateEmbeddings(store, model, ds.items, {
          split: opts.split, trainSplit: opts.trainSplit, excerptSeconds: opts.seconds, seed: opts.seed, k: opts.k, workers: opts.workers,
          onStage: bars.onStage, tick: bars.tick,
        });
      } finally {
        bars.stop();
      }
      if (opts.json) printJson(io, report);
      else io.out(formatEvaluation(report));
      reportFailures(io, report.failures, report.counts.performances + report.counts.train_performances + report.failures.length);
      if (report.failures.length > 0) exit(EXIT.partial);
    });
}

/** Reads, tokenizes and embeds one MIDI file with the model that made `store` (or, if it is the same weights, the run named). */
async function embedFile(path: string, which: { run: string; checkpoint: string; pooling: Pooling }, store: { path: string; source: Record<string, unknown> }): Promise<Float32Array> {
  const { checkStoreModel, loadRunModel, runExtraction } = await import('../embed/run-model.js');
  const { makePreparer } = await import('../embed/prepare.js');
  const { embedSequences, frame } = await import('../embed/extract.js');
  const run = loadRunModel(which.run, which.checkpoint, which.pooling);
  checkStoreModel(store.path, store.source, run);
  let ids: Int32Array;
  try {
    ids = makePreparer({ tokenizerJson: run.tokenizerJson, sustain: run.sustain, instruments: run.instruments })({ path, name: path }).ids;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return embedSequences(run.model, [frame(ids, run.tokenizer)], runExtraction(run))[0];
}

function neighbourJson(h: Neighbour): Record<string, unknown> {
  const { vector: _vector, ...meta } = h.row;
  return { distance: h.distance, ...meta };
}

function formatNeighbours(query: string, hits: readonly Neighbour[]): string {
  const lines = hits.map((h, i) =>
    `${String(i + 1).padStart(3)}  ${Math.max(0, h.distance).toFixed(4)}  ${h.row.composer ?? '?'}: ${h.row.title ?? h.row.piece ?? '?'}${h.row.performer ? ` (${h.row.performer})` : ''}  ${h.row.id}`,
  );
  return `nearest to ${query} (cosine distance):\n${lines.join('\n')}\n`;
}

const COLUMNS: Array<[keyof MethodScores, string]> = [
  ['excerpt_mrr', 'excerpt MRR'],
  ['excerpt_recall_at_1', 'excerpt R@1'],
  ['excerpt_recall_at_5', 'excerpt R@5'],
  ['composer_knn_acc', 'composer kNN acc'],
  ['composer_knn_macro_f1', 'composer kNN F1'],
  ['composer_probe_acc', 'composer probe acc'],
  ['composer_macro_f1', 'composer probe F1'],
  ['full_mrr', 'full MRR'],
  ['form_knn_acc', 'form kNN acc'],
  ['mode_knn_acc', 'mode kNN acc'],
];

const rate = (x: number | null): string => (x === null ? '—' : x.toFixed(3));

function formatEvaluation(r: EvaluationReport): string {
  const methods = r.learned_mean ? (['learned', 'learned_mean', 'random_init', 'handcrafted'] as const) : (['learned', 'random_init', 'handcrafted'] as const);
  const cell = (x: number | null): string => (x === null ? '—' : x.toFixed(3)).padStart(13);
  const head = ''.padEnd(20) + methods.map((m) => m.padStart(13)).join('');
  const rows = COLUMNS.map(([key, label]) => label.padEnd(20) + methods.map((m) => cell(r[m]![key])).join(''));
  const c = r.counts;
  return (
    `split ${r.split}: ${c.performances} performances of ${c.pieces} pieces, ${c.composers} composers; probe fitted on ${c.train_performances}; ` +
    `${c.excerpt_queries} excerpt queries (${r.excerpt_seconds} s, seed ${r.seed})\n${head}\n${rows.join('\n')}\n` +
    `majority rates: composer ${rate(r.majority_acc)}, form ${rate(r.form_majority_acc)}, mode ${rate(r.mode_majority_acc)}; checkpoint ${r.checkpoint}\n` +
    (c.excerpt_queries === 0 ? `— retrieval: no piece of split ${r.split} has two performances, so there is nothing to find\n` : '')
  );
}
