// The `motif` command line: a commander program whose verbs are thin layers over the library (one file per verb).
// `run(argv, io)` returns the exit code and never exits the process (tests call it); `main(argv)` is what bin/motif.js calls.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import * as decode from './decode.js';
import * as demo from './demo.js';
import * as embed from './embed.js';
import * as evaluateEmbeddings from './evaluate-embeddings.js';
import * as exportModel from './export.js';
import * as generate from './generate.js';
import * as inspect from './inspect.js';
import * as map from './map.js';
import * as merge from './merge.js';
import { EXIT, processIo, type CliContext, type CliIo } from './output.js';
import * as perplexity from './perplexity.js';
import * as serve from './serve.js';
import * as similar from './similar.js';
import * as tokenize from './tokenize.js';
import * as tokenizerTrain from './tokenizer-train.js';
import * as train from './train.js';

/**
 * Every verb, in the order --help lists them (the pipeline's). The one list: a verb loads what it needs
 * (the native core, LanceDB) inside its action, so all of them register even where the addon is missing,
 * and say why they cannot run only when run (test/architecture.test.ts holds them to that).
 */
const VERBS: ReadonlyArray<{ register(program: Command, ctx: CliContext): void }> = [
  demo,
  inspect,
  tokenizerTrain,
  tokenize,
  merge,
  decode,
  train,
  perplexity,
  exportModel,
  embed,
  similar,
  evaluateEmbeddings,
  map,
  generate,
  serve,
];

const EXIT_HELP = `
Exit codes:
  0  done
  1  usage error, or input that could not be used (nothing was done)
  2  done, but some input files were bad: they are listed on stderr (and in --json output) and were skipped

Every command takes --json (one JSON document on stdout, no progress bars) and --help.
`;

/** Builds the program for one run (commander keeps parse state, so each run gets a fresh one). */
function program(ctx: CliContext): Command {
  const cmd = new Command('motif')
    .description('Learn embeddings of piano performances from MIDI: tokenize, train, evaluate, embed, map, search.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.io.out(s), writeErr: (s) => ctx.io.err(s) })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_HELP);
  for (const verb of VERBS) verb.register(cmd, ctx);
  return cmd;
}

/** Runs `motif` with node-style argv (`[node, script, ...args]`); returns the exit code. */
export async function run(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let code: number = EXIT.ok;
  const ctx: CliContext = { io, exit: (c) => void (code = Math.max(code, c)) };
  try {
    await program(ctx).parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    io.err(`${err instanceof Error ? err.message : String(err)}\n`);
    if (process.env.MOTIF_DEBUG && err instanceof Error) io.err(`${err.stack}\n`);
    return EXIT.usage;
  }
  return code;
}

/** Entry point of bin/motif.js: runs and sets the process exit code. */
export async function main(argv: readonly string[]): Promise<void> {
  // A reader that stops early (`motif train --help | head`) closes the pipe: stop quietly, as Unix tools do,
  // rather than die on an unhandled EPIPE with a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(process.exitCode ?? EXIT.ok);
  });
  const code = await run(argv);
  // A verb may have set its own code already (train: 130 when interrupted); an error code from run() wins.
  if (code !== EXIT.ok || process.exitCode === undefined) process.exitCode = code;
}

/** True when this file is the script node was started with (not when imported, as by bin/motif.js or tests). */
function isEntry(): boolean {
  try {
    return realpathSync(process.argv[1] ?? '') === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

// `node --import tsx src/cli/main.ts ...` (and `node dist/cli/main.js ...`) run the CLI directly.
if (isEntry()) await main(process.argv);
