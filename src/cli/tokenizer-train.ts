// `motif tokenizer train <dataset> --vocab-size N --out tokenizer.json`: learn a BPE over a base scheme.
// A thin verb over trainTokenizer (src/data/train-tokenizer.ts); the file format is src/tokenizer/tokenizer-json.ts.
import type { Command } from 'commander';
import { DEFAULT_MAX_BASE_TOKENS } from '../data/token-budget-sample.js';
import { trainTokenizer } from '../data/train-tokenizer.js';
import { writeTokenizer } from '../data/tokenizer-file.js';
import type { SchemeName } from '../tokenizer/scheme.js';
import {
  EXIT,
  printJson,
  reportFailures,
  reportReading,
  round,
  startProgress,
  UsageError,
  type Progress,
  type CliContext,
} from './output.js';
import { MidiTokenizer } from '../tokenizer/midi-tokenizer.js';
import { createScheme } from '../tokenizer/schemes.js';
import {
  datasetOptions,
  openDatasetFromCli,
  positiveInt,
  schemeOption,
  readingOptions,
  sustainOf,
  type DatasetCliOptions,
  type ReadingFlags,
} from './shared.js';

interface TrainCliOptions extends DatasetCliOptions, ReadingFlags {
  vocabSize: number | 'base';
  scheme: SchemeName;
  out: string;
  workers?: number;
  maxBaseTokens: number;
  json?: boolean;
  progress: boolean;
}

/** Registers `tokenizer train` (and the `tokenizer` group). */
export function register(program: Command, ctx: CliContext): void {
  const group = program.command('tokenizer').description('Tokenizer commands (see `motif tokenizer train --help`).');
  const cmd = datasetOptions(
    group
      .command('train')
      .description(
        'Train a BPE tokenizer over a base scheme on a dataset and save it as a Hugging Face tokenizer.json.',
      )
      .argument(
        '<dataset>',
        'a folder of MIDI files, an ASAP metadata.csv (or its folder), a MAESTRO v3 folder, or one MIDI file',
      )
      .option(
        '--vocab-size <n|base>',
        "vocabulary size, special tokens included; 'base' = the base scheme's tokens alone (no merges)",
        (v: string) => (v === 'base' ? v : positiveInt(v)),
        30000,
      )
      .addOption(schemeOption())
      .option('--out <file>', 'where to write tokenizer.json', 'tokenizer.json'),
  );
  readingOptions(cmd)
    .option('--workers <n>', 'worker threads for reading files (default: one per core)', positiveInt)
    .option(
      '--max-base-tokens <n>',
      'the most base tokens BPE learns from; a larger corpus trains on a sample of its files (about 50 bytes of memory a token)',
      positiveInt,
      DEFAULT_MAX_BASE_TOKENS,
    )
    .option('--json', 'print one JSON summary')
    .option('--no-progress', 'no progress bars')
    .addHelpText(
      'after',
      `
With a dataset that has a train split (ASAP, MAESTRO) only that split is used unless --split says otherwise, so
validation and test pieces stay out of the vocabulary; a plain folder is used whole. A corpus of more base tokens than
--max-base-tokens learns its merges from a sample of whole files (the same files on every run: ranked by a hash of
their id, the longest run of that ranking that fits), so memory stays bounded; the summary says when it sampled. Files that cannot be read are skipped and listed at the end (exit code 2); the tokenizer is still written.

Example:
  motif tokenizer train ../shared/data/asap --vocab-size 30000 --out tokenizer.json`,
    )
    .action(async (dataset: string, opts: TrainCliOptions) => {
      // Below the base alphabet no merge can happen: say so rather than hand back a bigger vocabulary than asked.
      const least = MidiTokenizer.minVocabSize(createScheme(opts.scheme, {}));
      if (opts.vocabSize !== 'base' && opts.vocabSize < least) {
        throw new UsageError(
          `--vocab-size ${opts.vocabSize} is below the ${least} tokens of the '${opts.scheme}' scheme alone (specials included); give at least ${least}, or 'base' for no merges`,
        );
      }
      const ds = openDatasetFromCli(dataset, opts, 'train');
      const json = Boolean(opts.json);
      const quiet = json || !opts.progress;
      const reading = startProgress(ctx.io, quiet, ds.items.length, 'read');
      let merging: Progress | undefined;
      let mergesShown = 0;
      let result;
      try {
        result = await trainTokenizer(ds.items, {
          vocabSize: opts.vocabSize === 'base' ? least : opts.vocabSize,
          scheme: opts.scheme,
          sustain: sustainOf(opts),
          instruments: opts.instruments,
          workers: opts.workers,
          maxBaseTokens: opts.maxBaseTokens,
          onItem: () => reading.tick(),
          onMerge: (done, total) => {
            if (!merging) {
              reading.stop();
              merging = startProgress(ctx.io, quiet, total, 'merges');
            }
            merging.tick(done - mergesShown);
            mergesShown = done;
          },
        });
      } finally {
        reading.stop();
        merging?.stop();
      }
      writeTokenizer(result.tokenizer, opts.out);
      const summary = {
        out: opts.out,
        scheme: opts.scheme,
        split: ds.split ?? null,
        vocabSize: result.tokenizer.vocabSize,
        files: result.files,
        failed: result.failures.length,
        notes: result.notes,
        baseTokens: result.baseTokens,
        sample: result.sample ?? null,
        encodeSeconds: round(result.encodeSeconds),
        trainSeconds: round(result.trainSeconds),
        failures: result.failures,
        reading: result.reading,
      };
      if (json) printJson(ctx.io, summary);
      else {
        ctx.io.out(
          `trained a ${result.tokenizer.vocabSize}-token BPE over '${opts.scheme}' on ${result.files - result.failures.length} files${ds.split ? ` of split ${ds.split}` : ''} ` +
            `(${result.notes} notes, ${result.baseTokens} base tokens) in ${(result.encodeSeconds + result.trainSeconds).toFixed(1)} s\n` +
            (result.sample
              ? `merges learned from a sample of ${result.sample.files} files (${result.sample.baseTokens} base tokens; --max-base-tokens ${result.sample.maxBaseTokens})\n`
              : '') +
            `wrote ${opts.out}\n`,
        );
        reportReading(ctx.io, result.reading);
        reportFailures(ctx.io, result.failures, result.files);
      }
      if (result.failures.length > 0) ctx.exit(EXIT.partial);
    });
}
