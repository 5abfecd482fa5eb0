// The `motif evaluate-embeddings` verb (alias `evaluate`): flags, progress and the table around
// src/embed/evaluate-embeddings.ts. A language model's loss is `motif perplexity`.
import type { Command } from 'commander';
import { relative } from 'node:path';
import type { EvaluationReport, MethodScores } from '../embed/evaluate-embeddings.js';
import { METHODS, type Method } from '../embed/methods.js';
import { EXIT, printJson, reportFailures, stagedProgress, UsageError, type CliContext } from './output.js';
import { CHECKPOINT_HELP, openDatasetFromCli, positiveInt, positiveSeconds, seedValue } from './shared.js';

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
  methods?: Set<Method>;
  json?: boolean;
  progress: boolean;
}

/** Adds `evaluate-embeddings` (alias `evaluate`); the exit code is 2 when files were skipped. */
export function register(program: Command, { io, exit }: CliContext): void {
  program
    .command('evaluate-embeddings')
    .alias('evaluate')
    .summary(
      'Embedding quality of a store (alias: evaluate): excerpt→piece retrieval, piece-disjoint composer k-NN and probe, vs two baselines.',
    )
    .description(
      "Measures on one split (default test), for each method: the learned embeddings (the store), a contrastive model's mean pooling (learned_mean), the same architecture at its " +
        'random initialisation (the run seed), and a hand-crafted vector (pitch-class histogram, pitch, density, velocity, IOI statistics).\n\n' +
        '  excerpt_mrr, excerpt_recall_at_1/5: a random excerpt (--seconds, fixed --seed) of each performance ranked against the full ' +
        'vectors of all other performances; a hit is another performance of the same piece.\n' +
        '  excerpt_window_mrr, excerpt_window_recall_at_1/5: the same excerpts against every window of those performances, each scoring by its best window (motif similar --excerpt).\n' +
        '  composer_knn_acc: k-NN (cosine) whose neighbours never include performances of the same piece; by composer in the JSON ' +
        '(composer_knn_by_composer, with the composers named instead) and below the table.\n' +
        '  composer_knn_seen_acc: the same k-NN with neighbours only by composers that --train-split has (a diagnostic: a piece by a ' +
        'composer no training saw cannot be learned apart, yet can take all k votes).\n' +
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
    .option(
      '--methods <list>',
      `comma-separated, of ${METHODS.join(', ')} (default: all; learned_mean only for a contrastive model). ` +
        'random_init and learned_mean embed the split and the train split again: leave them out to measure a new store quickly',
      methodList,
    )
    .option('--json', 'print the evaluation as JSON')
    .option('--no-progress', 'no progress bars')
    .action(async (opts: EvaluateCliOptions) => {
      // Loaded here, not at the top: LanceDB and the native core load with them.
      const { openStore } = await import('../embed/store.js');
      const { loadStoreModel, storeRun } = await import('../embed/store-run.js');
      const { evaluateEmbeddings } = await import('../embed/evaluate-embeddings.js');
      const store = await openStore(opts.store).catch((err: Error) => Promise.reject(new UsageError(err.message)));
      const which = storeRun(store.info.source, opts.run, opts.checkpoint);
      const ds = openDatasetFromCli(opts.data, {});
      const bars = stagedProgress(io, Boolean(opts.json) || !opts.progress);
      let report: EvaluationReport;
      try {
        const model = loadStoreModel(opts.store, store.info.source, which);
        report = await evaluateEmbeddings(store, model, ds.items, {
          split: opts.split,
          trainSplit: opts.trainSplit,
          excerptSeconds: opts.seconds,
          seed: opts.seed,
          k: opts.k,
          workers: opts.workers,
          methods: opts.methods,
          onStage: bars.onStage,
          tick: bars.tick,
        });
      } finally {
        bars.stop();
      }
      // The checkpoint as the user would name it from here, not this machine's absolute path (reports get shared).
      report = { ...report, checkpoint: relative(process.cwd(), report.checkpoint) || '.' };
      if (opts.json) printJson(io, report);
      else io.out(formatEvaluation(report));
      reportFailures(
        io,
        report.failures,
        report.counts.performances + report.counts.train_performances + report.failures.length,
      );
      if (report.failures.length > 0) exit(EXIT.partial);
    });
}

/** The scores that are one number (the table's rows). */
type NumericScore = Exclude<keyof MethodScores, 'composer_knn_by_composer'>;

/** "Liszt 2/29 (as Balakirev 27)": a method's composer k-NN by composer, the most frequent wrong answer named. */
function byComposer(scores: MethodScores): string {
  return Object.entries(scores.composer_knn_by_composer ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([composer, a]) => {
      const [wrong, n] =
        Object.entries(a.mistaken_for).sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))[0] ?? [];
      return `${composer} ${a.correct}/${a.performances}${wrong !== undefined ? ` (as ${wrong} ${n})` : ''}`;
    })
    .join(', ');
}

const COLUMNS: Array<[NumericScore, string]> = [
  ['excerpt_mrr', 'excerpt MRR'],
  ['excerpt_recall_at_1', 'excerpt R@1'],
  ['excerpt_recall_at_5', 'excerpt R@5'],
  ['excerpt_window_mrr', 'excerpt window MRR'],
  ['excerpt_window_recall_at_1', 'excerpt window R@1'],
  ['excerpt_window_recall_at_5', 'excerpt window R@5'],
  ['composer_knn_acc', 'composer kNN acc'],
  ['composer_knn_macro_f1', 'composer kNN F1'],
  ['composer_knn_seen_acc', 'composer kNN, seen'],
  ['composer_probe_acc', 'composer probe acc'],
  ['composer_macro_f1', 'composer probe F1'],
  ['full_mrr', 'full MRR'],
  ['form_knn_acc', 'form kNN acc'],
  ['mode_knn_acc', 'mode kNN acc'],
];

function methodList(value: string): Set<Method> {
  const names = value.split(',').map((s) => s.trim());
  const unknown = names.find((n) => !(METHODS as readonly string[]).includes(n));
  if (unknown !== undefined) throw new UsageError(`--methods: unknown method '${unknown}' (${METHODS.join(', ')})`);
  return new Set(names as Method[]);
}

const rate = (x: number | null): string => (x === null ? '—' : x.toFixed(3));

function formatEvaluation(r: EvaluationReport): string {
  const methods = METHODS.filter((m) => r[m] !== undefined);
  const cell = (x: number | null): string => (x === null ? '—' : x.toFixed(3)).padStart(13);
  const head = ''.padEnd(20) + methods.map((m) => m.padStart(13)).join('');
  const rows = COLUMNS.map(([key, label]) => label.padEnd(20) + methods.map((m) => cell(r[m]![key])).join(''));
  const c = r.counts;
  return (
    `split ${r.split}: ${c.performances} performances of ${c.pieces} pieces, ${c.composers} composers; probe fitted on ${c.train_performances}; ` +
    `${c.excerpt_queries} excerpt queries (${r.excerpt_seconds} s, seed ${r.seed})\n${head}\n${rows.join('\n')}\n` +
    `majority rates: composer ${rate(r.majority_acc)}, form ${rate(r.form_majority_acc)}, mode ${rate(r.mode_majority_acc)}; ` +
    `composer k-NN ceiling ${rate(r.composer_knn_ceiling)} (performances whose composer has another piece here); checkpoint ${r.checkpoint}` +
    (r.layer !== undefined ? `; learned and random_init pool block ${r.layer}'s output\n` : '\n') +
    methods.map((m) => `composer k-NN by composer, ${m}: ${byComposer(r[m]!)}\n`).join('') +
    (c.excerpt_queries === 0
      ? `— retrieval: no piece of split ${r.split} has two performances, so there is nothing to find\n`
      : '')
  );
}
