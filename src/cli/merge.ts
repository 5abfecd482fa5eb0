// `motif merge <parts...> --out <dir>`: joins the shard folders that `motif tokenize --part i/n` (or the stores that
// `motif embed --part i/n`) wrote on several machines into one, as one run over the whole selection would have.
// A thin verb over src/data/merge-shards.ts and src/embed/merge-stores.ts.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { mergeShards } from '../data/merge-shards.js';
import { printJson, UsageError, type CliContext } from './output.js';

interface MergeOptions {
  out: string;
  json?: boolean;
}

/** Registers `merge`. */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('merge')
    .description(
      'Join the parts of a job split with --part i/n: shard folders (motif tokenize) into one shard folder, or stores (motif embed) into one store.',
    )
    .argument('<parts...>', 'the part folders (shard folders or stores), all n of them, in any order')
    .requiredOption('--out <dir>', 'new shard folder or store (absent or empty)')
    .option('--json', 'print one JSON summary')
    .addHelpText(
      'after',
      `
The parts must all be finished (continue an interrupted one with --resume), be parts 1..n of the same
selection, each once, and agree on what their contents mean: shards on the tokenizer (SHA-256), id type and how
MIDI was read; stores on the model, checkpoint, dataset, windows and reading. Shard files are hard-linked into
--out where the file system allows (copied otherwise); index.json is written last. A merged store is indexed
for search when it is large enough, like one motif embed writes.`,
    )
    .action(async (parts: string[], opts: MergeOptions) => {
      if (parts.length > 0 && existsSync(join(parts[0], 'store.json'))) return mergeStoreParts(ctx, parts, opts);
      let result;
      try {
        result = mergeShards(parts, opts.out);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const { index } = result;
      const summary = {
        out: opts.out,
        parts: parts.length,
        pieces: index.pieces.length,
        failed: index.failures.length,
        shards: index.shards.length,
        tokens: index.shards.reduce((n, s) => n + s.tokens, 0),
        linked: result.linked,
        copied: result.copied,
      };
      if (opts.json) printJson(ctx.io, summary);
      else
        ctx.io.out(
          `merged ${parts.length} parts: ${summary.pieces} pieces, ${summary.tokens} tokens in ${summary.shards} shard(s) ` +
            `(${summary.linked} linked, ${summary.copied} copied) and index.json → ${opts.out}\n`,
        );
    });
}

async function mergeStoreParts(ctx: CliContext, parts: string[], opts: MergeOptions): Promise<void> {
  // Loaded here, not at the top: LanceDB loads with it.
  const { mergeStores } = await import('../embed/merge-stores.js');
  let store;
  try {
    store = await mergeStores(parts, opts.out);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const summary = {
    out: opts.out,
    parts: parts.length,
    pieces: store.info.count,
    dim: store.info.dim,
    index: store.info.index,
  };
  if (opts.json) printJson(ctx.io, summary);
  else
    ctx.io.out(
      `merged ${parts.length} stores: ${summary.pieces} ${summary.dim}-d vectors (${summary.index} search) → ${opts.out}\n`,
    );
}
