// The `motif embed` verb: flags, progress and printing around src/embed/embed-dataset.ts.
import { Option, type Command } from 'commander';
import { partRecord, selectPart, type Part } from '../data/part.js';
import type { Pooling } from '../run/run-model.js';
import { describePrecision, type PrecisionChoice } from '../model/precision.js';
import { EXIT, printJson, reportFailures, round, stagedProgress, type CliContext } from './output.js';
import {
  CHECKPOINT_HELP,
  datasetOptions,
  numberParser,
  openDatasetFromCli,
  partOption,
  positiveInt,
  precisionOption,
  type DatasetCliOptions,
} from './shared.js';

const share = numberParser((x) => x >= 0 && x < 1, 'a number in [0, 1)');
const layerNumber = numberParser((x) => Number.isInteger(x) && x >= 0, 'a whole number ≥ 0');

interface EmbedCliOptions extends DatasetCliOptions {
  run: string;
  checkpoint: string;
  data: string;
  out: string;
  overlap?: number;
  pooling: Pooling;
  layer?: number;
  precision: PrecisionChoice;
  windows: boolean;
  overwrite?: boolean;
  resume?: boolean;
  workers?: number;
  part?: Part;
  json?: boolean;
  progress: boolean;
}

/** Adds `embed`; the exit code is 2 when files were skipped. */
export function register(program: Command, { io, exit }: CliContext): void {
  datasetOptions(
    program
      .command('embed')
      .summary("Embed every piece of a dataset with a run's model into a searchable store.")
      .description(
        "One vector per piece: the mean of the model's last hidden states over the piece framed by bos/eos (or, for a contrastive model, " +
          "the mean of its head's embeddings of those windows; --pooling). Pieces longer than the " +
          "run's sequence length are cut into overlapping windows whose vectors are averaged, each weighted by the tokens it adds; " +
          "each window's own vector is kept too (a second table), where it starts in seconds: the window holding a passage finds it (motif similar --excerpt).\n\n" +
          'The store (a LanceDB table plus store.json) keeps each vector with composer, title, piece, performer, file, split, key ' +
          '(from the title, else estimated from the notes with Krumhansl–Kessler profiles), form (from the title), duration and note count.\n\n' +
          'Pieces are committed to <out>.partial every few dozen; an interrupted run keeps them (continue with --resume), and the folder ' +
          'is renamed to <out> when complete. Files that cannot be read are skipped, listed on stderr, and the exit code is 2.',
      )
      .requiredOption('--run <dir>', 'run directory (motif train --out)')
      .option('--checkpoint <which>', CHECKPOINT_HELP, 'best')
      .requiredOption(
        '--data <dataset>',
        'a folder of MIDI files, an ASAP metadata.csv (or its folder), a MAESTRO v3 folder, or one MIDI file',
      )
      .requiredOption('--out <store>', 'store folder to create'),
  )
    .option('--overlap <share>', 'share of each window overlapping the previous one', share, 0.5)
    .addOption(
      new Option(
        '--pooling <kind>',
        "auto: a contrastive model's embedding head where the run has one, else the mean-pooled hidden state; mean: always the mean (the paper's); contrastive: the head, or an error",
      )
        .choices(['auto', 'mean', 'contrastive'])
        .default('auto'),
    )
    .option(
      '--layer <n>',
      'mean-pool the output of block n (0 = the token embeddings) instead of the last hidden state; implies mean pooling. ' +
        "On ASAP a middle layer finds pieces and composers better than the paper's last one (README, Embeddings)",
      layerNumber,
    )
    .addOption(
      precisionOption(
        'the embedding passes',
        "; default fp32, so that a store's vectors (also those of a --resume, perhaps on another machine) come from one arithmetic",
      ).default('fp32'),
    )
    .option(
      '--no-windows',
      "keep only each piece's vector, not its windows' too (the windows find the piece of a passage: motif similar --excerpt; " +
        'they take about tokens / (window × (1 − overlap)) vectors per piece)',
    )
    .option('--overwrite', 'replace an existing (or unfinished) store at --out')
    .option('--resume', 'continue the unfinished store an interrupted run left at --out')
    .option('--workers <n>', 'threads reading and tokenizing files (default: one per core)', positiveInt)
    .option(
      '--part <i/n>',
      'only the i-th of n equal blocks of the files (in id order), for a job split over machines; join the stores with motif merge',
      partOption,
    )
    .option('--json', 'print one JSON summary')
    .option('--no-progress', 'no progress bars')
    .action(async (opts: EmbedCliOptions) => {
      const ds = openDatasetFromCli(opts.data, opts);
      const items = opts.part ? selectPart(ds.items, opts.part) : ds.items;
      // Loaded here, not at the top: the native core and LanceDB load with them.
      const { embeddingDim, loadRunModel } = await import('../run/run-model.js');
      const { embedDataset } = await import('../embed/embed-dataset.js');
      const { precisionRecord, resolvePrecision } = await import('../model/machine-precision.js');
      const compute = precisionRecord(resolvePrecision(opts.precision));
      const run = loadRunModel(opts.run, opts.checkpoint, opts.pooling, compute.precision, opts.layer);
      const bars = stagedProgress(io, Boolean(opts.json) || !opts.progress);
      const t0 = performance.now();
      let tEmbed = t0;
      let result;
      try {
        bars.onStage('read + tokenize', items.length);
        result = await embedDataset(run, items, {
          out: opts.out,
          overwrite: opts.overwrite,
          resume: opts.resume,
          overlap: opts.overlap,
          windows: opts.windows,
          workers: opts.workers,
          source: {
            dataset: ds.dataset.root,
            split: ds.split ?? null,
            ...(opts.part ? { part: partRecord(opts.part, ds.items.length) } : {}),
          },
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
      const dim = embeddingDim(run);
      const summary = {
        store: opts.out,
        checkpoint: run.checkpoint,
        pieces: result.pieces,
        windows: result.store.info.windows ?? 0,
        resumed: result.resumed,
        files: items.length,
        failed: result.failures.length,
        dim,
        embedding: run.embedding,
        ...(run.layer !== undefined ? { layer: run.layer } : {}),
        tokens: result.tokens,
        tokensPerSecond: Math.round(result.tokens / embedS),
        compute,
        seconds: round((performance.now() - t0) / 1000),
        failures: result.failures,
      };
      if (opts.json) printJson(io, summary);
      else {
        const kept = result.resumed ? ` (${result.resumed} kept from the interrupted run)` : '';
        io.out(
          `embedded ${result.pieces} of ${items.length} files${kept} (${result.tokens} window tokens, ${summary.tokensPerSecond} tokens/s, ${describePrecision(compute)}) with ${run.checkpoint}\n`,
        );
        const what = run.head
          ? "the contrastive head's"
          : run.layer !== undefined
            ? `block ${run.layer}'s mean-pooled`
            : 'mean-pooled';
        const windows = result.store.info.windows ? ` and ${result.store.info.windows} window vectors` : '';
        io.out(`wrote ${dim}-d vectors (${what})${windows} and metadata to ${opts.out}\n`);
      }
      reportFailures(io, result.failures, items.length);
      if (result.failures.length > 0) exit(EXIT.partial);
    });
}
