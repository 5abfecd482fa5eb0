// `motif merge <parts...> --out <dir>`: joins the shard folders that `motif tokenize --part i/n` wrote on several
// machines into one, as one run over the whole selection would have. A thin verb over src/data/merge-shards.ts.
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
      'Join the shard folders of a job split with motif tokenize --part i/n into one shard folder for training.',
    )
    .argument('<parts...>', 'the part folders, all n of them, in any order')
    .requiredOption('--out <dir>', 'new shard folder (absent or empty)')
    .option('--json', 'print one JSON summary')
    .addHelpText(
      'after',
      `
The parts must all be finished (continue an interrupted one with motif tokenize --resume), be parts 1..n of the
same selection, each once, and agree on the tokenizer (SHA-256), id type and how MIDI was read. Shard files are
hard-linked into --out where the file system allows (copied otherwise); index.json is written last.`,
    )
    .action((parts: string[], opts: MergeOptions) => {
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
