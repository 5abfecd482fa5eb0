// `motif tokenize <dataset> --tokenizer <file> --out <dir>`: a dataset → token shards + index.json, on every core.
// A thin verb over tokenizeDataset (src/data/tokenize.ts); the shard format is documented in src/data/shards.ts.
import type { Command } from 'commander';
import { partRecord, selectPart, type Part } from '../data/part.js';
import { tokenizeDataset } from '../data/tokenize.js';
import { EXIT, printJson, reportFailures, reportReading, round, startProgress, type CliContext } from './output.js';
import {
  datasetOptions,
  partOption,
  openDatasetFromCli,
  positiveInt,
  readingOptions,
  sustainOf,
  type DatasetCliOptions,
  type ReadingFlags,
} from './shared.js';

interface TokenizeCliOptions extends DatasetCliOptions, ReadingFlags {
  tokenizer: string;
  out: string;
  shardTokens?: number;
  resume?: boolean;
  workers?: number;
  part?: Part;
  json?: boolean;
  progress: boolean;
}

/** Registers `tokenize`. */
export function register(program: Command, ctx: CliContext): void {
  const cmd = datasetOptions(
    program
      .command('tokenize')
      .description(
        'Turn a dataset into token shards for training: <split>-NNNNN.bin (little-endian uint16/int32 ids) and index.json.',
      )
      .argument(
        '<dataset>',
        'a folder of MIDI files, an ASAP metadata.csv (or its folder), a MAESTRO v3 folder, or one MIDI file',
      )
      .requiredOption('--tokenizer <file>', 'tokenizer.json (from `motif tokenizer train`)')
      .requiredOption('--out <dir>', 'output folder for shards and index.json'),
  );
  readingOptions(cmd)
    .option('--shard-tokens <n>', 'tokens per shard file', positiveInt)
    .option('--resume', 'keep the pieces an unfinished earlier run with the same tokenizer wrote into --out')
    .option('--workers <n>', 'worker threads (default: one per core)', positiveInt)
    .option(
      '--part <i/n>',
      'only the i-th of n equal blocks of the files (in id order), for a job split over machines; join the parts with motif merge',
      partOption,
    )
    .option('--json', 'print one JSON summary')
    .option('--no-progress', 'no progress bar')
    .addHelpText(
      'after',
      `
Pieces are stored without bos/eos; index.json maps each piece to its shard, offset and length (in tokens), with its
metadata, note count, the tokenizer's path and SHA-256, and how the MIDI was read (--instruments, --sustain), so
that a model trained on the shards reads new files the same way. Notes and pedal events --instruments left out and
what the MIDI reader repaired are summed up at the end, with the files concerned. Shards are written atomically as they fill and listed in
index.journal.jsonl until index.json is written at the end, so an interrupted run keeps its finished shards (continue
it with --resume). Files that cannot be read are skipped,
listed at the end and in index.json "failures", and the exit code is 2.`,
    )
    .action(async (dataset: string, opts: TokenizeCliOptions) => {
      const ds = openDatasetFromCli(dataset, opts);
      const items = opts.part ? selectPart(ds.items, opts.part) : ds.items;
      const bar = startProgress(ctx.io, Boolean(opts.json) || !opts.progress, items.length, 'tokenize');
      const t0 = performance.now();
      let result;
      try {
        result = await tokenizeDataset(ds.dataset, {
          tokenizer: opts.tokenizer,
          out: opts.out,
          items,
          part: opts.part && partRecord(opts.part, ds.items.length),
          sustain: sustainOf(opts),
          instruments: opts.instruments,
          workers: opts.workers,
          shardTokens: opts.shardTokens,
          resume: opts.resume,
          onItem: () => bar.tick(),
        });
      } finally {
        bar.stop();
      }
      const seconds = (performance.now() - t0) / 1000;
      const { index } = result;
      const summary = {
        out: opts.out,
        ...(opts.part ? { part: `${opts.part.index}/${opts.part.count}` } : {}),
        files: result.files,
        resumed: result.skipped,
        pieces: index.pieces.length,
        failed: index.failures.length,
        notes: result.notes,
        tokens: result.tokens,
        shards: index.shards.length,
        dtype: index.dtype,
        vocabSize: index.vocabSize,
        seconds: round(seconds),
        failures: index.failures,
        reading: result.reading,
      };
      if (opts.json) printJson(ctx.io, summary);
      else {
        ctx.io.out(
          `tokenized ${result.files - index.failures.length} of ${result.files} files${result.skipped ? ` (+${result.skipped} kept from the earlier run)` : ''}: ` +
            `${result.notes} notes → ${result.tokens} tokens in ${seconds.toFixed(1)} s\n` +
            `wrote ${index.shards.length} shard(s) (${index.dtype}) and index.json to ${opts.out}\n`,
        );
        reportReading(ctx.io, result.reading);
        reportFailures(ctx.io, index.failures, result.files);
      }
      if (index.failures.length > 0) ctx.exit(EXIT.partial);
    });
}
