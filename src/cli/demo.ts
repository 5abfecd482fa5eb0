// `motif demo` (what `npm start` runs): the main job on the embedded default dataset (data/default, an ASAP subset),
// so it works on a fresh machine without ../shared. For now: train a small BPE, tokenize the dataset, summarize.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { openDataset } from '../data/dataset.js';
import { tokenizeDataset } from '../data/tokenize.js';
import { trainTokenizer } from '../data/train-tokenizer.js';
import { writeTokenizer } from '../data/tokenizer-file.js';
import type { CliContext } from './main.js';
import { EXIT, printJson, reportFailures, round, startProgress } from './output.js';
import { DEFAULT_SUSTAIN, positiveInt } from './shared.js';

/** The embedded dataset, found relative to this file (the same depth in src/ and dist/). */
export const DEFAULT_DATASET = fileURLToPath(new URL('../../data/default/', import.meta.url));

/** Registers `demo`. */
export function registerDemo(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description('Run the main job on the embedded default dataset (35 ASAP performances): train a BPE tokenizer, tokenize into shards.')
    .option('--out <dir>', 'output folder', join('runs', 'demo'))
    .option('--vocab-size <n>', 'BPE vocabulary size (small: the default dataset is small)', positiveInt, 2000)
    .option('--json', 'print one JSON summary')
    .action(async (opts: { out: string; vocabSize: number; json?: boolean }) => {
      const json = Boolean(opts.json);
      const dataset = openDataset(DEFAULT_DATASET);
      const sustain = DEFAULT_SUSTAIN;
      const train = dataset.items.filter((i) => i.split === 'train');
      const say = (s: string): void => void (json ? undefined : ctx.io.out(s));
      say(`motif demo: ${dataset.items.length} performances from ${DEFAULT_DATASET} (ASAP subset, CC BY-NC-SA 4.0)\n`);

      let bar = startProgress(ctx.io, json, train.length, 'read');
      const trained = await trainTokenizer(train, { vocabSize: opts.vocabSize, scheme: 'exptime', sustain, onItem: () => bar.tick() }).finally(() => bar.stop());
      const tokenizerPath = join(opts.out, 'tokenizer.json');
      mkdirSync(opts.out, { recursive: true });
      writeTokenizer(trained.tokenizer, tokenizerPath);
      say(`  tokenizer: ${trained.tokenizer.vocabSize} tokens trained on the ${train.length} train pieces in ${(trained.encodeSeconds + trained.trainSeconds).toFixed(1)} s → ${tokenizerPath}\n`);

      bar = startProgress(ctx.io, json, dataset.items.length, 'tokenize');
      const shardsDir = join(opts.out, 'tokens');
      const result = await tokenizeDataset(dataset, { tokenizer: tokenizerPath, out: shardsDir, sustain, onItem: () => bar.tick() }).finally(() => bar.stop());
      const trainBpeTokens = result.index.pieces.filter((p) => p.split === 'train').reduce((n, p) => n + p.length, 0);
      const bySplit: Record<string, number> = {};
      for (const p of result.index.pieces) bySplit[p.split] = (bySplit[p.split] ?? 0) + 1;
      const summary = {
        dataset: DEFAULT_DATASET,
        out: opts.out,
        tokenizer: tokenizerPath,
        shards: shardsDir,
        pieces: result.index.pieces.length,
        piecesBySplit: bySplit,
        failed: result.index.failures.length + trained.failures.length,
        notes: result.notes,
        tokens: result.tokens,
        vocabSize: trained.tokenizer.vocabSize,
        baseTokensPerNote: round(trained.baseTokens / trained.notes),
        bpeTokensPerNote: round(result.tokens / result.notes),
        compression: round(trained.baseTokens / trainBpeTokens),
      };
      if (json) printJson(ctx.io, summary);
      else {
        say(
          `  tokens:    ${result.notes} notes → ${result.tokens} BPE tokens (${summary.bpeTokensPerNote} per note; ` +
            `base scheme ${summary.baseTokensPerNote} per note, so BPE compresses ${summary.compression}×)\n` +
            `  shards:    ${Object.entries(bySplit).map(([s, n]) => `${s} ${n}`).join(', ')} pieces → ${shardsDir}/ (index.json + .bin)\n` +
            `Output is in ${opts.out}/. Next: \`motif inspect <file.mid>\`, \`motif tokenize <your dataset> --tokenizer ${tokenizerPath} --out <dir>\`.\n`,
        );
        reportFailures(ctx.io, [...trained.failures, ...result.index.failures], dataset.items.length);
      }
      if (summary.failed > 0) ctx.exit(EXIT.partial);
    });
}
