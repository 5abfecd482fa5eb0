// `motif decode`: token ids → a MIDI file. Ids come from a text file (or stdin), or from one piece of a shard folder.
// A thin verb: decoding is the tokenizer's, writing MIDI is src/midi/write.ts's.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { openShards } from '../data/shards.js';
import { writeAtomic } from '../util/atomic.js';
import { readTokenizer } from '../data/tokenizer-file.js';
import { writeMidi } from '../midi/write.js';
import type { SchemeName } from '../tokenizer/scheme.js';
import { createScheme } from '../tokenizer/schemes.js';
import { printJson, round, UsageError, type CliContext } from './output.js';
import { readInputFile, schemeOption } from './shared.js';

interface DecodeOptions {
  tokenizer?: string;
  shards?: string;
  base?: boolean;
  scheme: SchemeName;
  out: string;
  json?: boolean;
}

/** Registers `decode`. */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('decode')
    .description('Decode token ids back into a MIDI file.')
    .argument(
      '<input>',
      "a text file of ids separated by spaces, commas or newlines (a JSON array works too), '-' for stdin, or with --shards a piece id",
    )
    .option(
      '--tokenizer <file>',
      'tokenizer.json the ids come from (with --shards: default the one recorded in index.json)',
    )
    .option('--shards <dir>', 'read the ids of piece <input> from this shard folder (written by `motif tokenize`)')
    .option('--base', 'the ids are base-scheme ids (of --scheme), not BPE ids; no tokenizer needed')
    .addOption(schemeOption())
    .requiredOption('--out <file>', 'MIDI file to write')
    .option('--json', 'print one JSON summary')
    .addHelpText(
      'after',
      `
Examples:
  motif inspect in.mid --ids --tokenizer tokenizer.json > ids.txt
  motif decode ids.txt --tokenizer tokenizer.json --out out.mid
  motif decode Bach/Fugue/bwv_846/Shi05M.mid --shards runs/tokens --out shi.mid`,
    )
    .action((input: string, opts: DecodeOptions) => {
      let ids: ArrayLike<number>;
      let tokenizerPath = opts.tokenizer;
      let madeWith: string | undefined; // SHA-256 of the tokenizer the shards were made with
      if (opts.shards) {
        try {
          const shards = openShards(opts.shards);
          ids = shards.tokens(input);
          tokenizerPath ??= shards.index.tokenizer.path;
          madeWith = shards.index.tokenizer.sha256;
        } catch (err) {
          throw new UsageError((err as Error).message);
        }
      } else {
        ids = parseIds(
          input === '-' ? readFileSync(0, 'utf8') : Buffer.from(readInputFile(input)).toString('utf8'),
          input,
        );
      }
      let notes;
      // Every id must be one of the vocabulary's: an id past it would decode to nothing, silently.
      const checkIds = (size: number, of: string): void => {
        for (let i = 0; i < ids.length; i++) {
          if (!(ids[i] >= 0 && ids[i] < size))
            throw new UsageError(
              `${input}: id ${ids[i]} at position ${i} is outside the vocabulary 0..${size - 1} of ${of}`,
            );
        }
      };
      if (opts.base) {
        const scheme = createScheme(opts.scheme);
        checkIds(scheme.vocab.length, `the '${opts.scheme}' base scheme (BPE ids need --tokenizer instead of --base)`);
        notes = scheme.decode(ids);
      } else {
        if (!tokenizerPath) throw new UsageError('decode needs --tokenizer <file> (or --base for base-scheme ids)');
        const { tokenizer, sha256 } = readTokenizer(tokenizerPath);
        if (madeWith !== undefined && sha256 !== madeWith)
          throw new UsageError(`${tokenizerPath}: not the tokenizer the shards in ${opts.shards} were made with`);
        checkIds(tokenizer.vocabSize, tokenizerPath);
        notes = tokenizer.decode(ids);
      }
      writeAtomic(opts.out, writeMidi(notes));
      const duration = notes.end.reduce((a, b) => Math.max(a, b), 0);
      if (opts.json)
        printJson(ctx.io, { out: opts.out, ids: ids.length, notes: notes.length, duration: round(duration) });
      else
        ctx.io.out(
          `decoded ${ids.length} ids into ${notes.length} notes (${duration.toFixed(1)} s); wrote ${opts.out}\n`,
        );
    });
}

/** Integers separated by whitespace and/or commas, optionally inside [ ]; anything else is an error naming the file. */
function parseIds(text: string, source: string): Int32Array {
  const body = text.trim().replace(/^\[/, '').replace(/\]$/, '');
  const parts = body.split(/[\s,]+/).filter((p) => p !== '');
  const ids = new Int32Array(parts.length);
  parts.forEach((p, i) => {
    if (!/^\d+$/.test(p))
      throw new UsageError(
        `${source}: '${p.slice(0, 20)}' (token ${i + 1}) is not a token id; expected integers separated by spaces or commas`,
      );
    ids[i] = Number(p);
  });
  return ids;
}
