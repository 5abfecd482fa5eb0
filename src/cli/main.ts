// The `motif` command line: a commander program whose verbs are thin layers over the library (one file per verb).
// `run(argv, io)` returns the exit code and never exits the process (tests call it); `main(argv)` is what bin/motif.js calls.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { registerDecode } from './decode.js';
import { registerDemo } from './demo.js';
import { registerEmbedCommands } from './embed-commands.js';
import { registerGenerate } from './generate.js';
import { registerInspect } from './inspect.js';
import { registerMapCommand } from './map-command.js';
import { registerServe } from './serve.js';
import { EXIT, processIo, UsageError, type CliIo } from './output.js';
import { registerTokenize } from './tokenize.js';
import { registerTokenizerTrain } from './tokenizer-train.js';

/** What a verb needs from the program: where to write, and a way to set the exit code. */
export interface CliContext {
  readonly io: CliIo;
  exit(code: number): void;
}

const EXIT_HELP = `
Exit codes:
  0  done
  1  usage error, or input that could not be used (nothing was done)
  2  done, but some input files were bad: they are listed on stderr (and in --json output) and were skipped

Every command takes --json (one JSON document on stdout, no progress bars) and --help.
`;

type TrainCommands = typeof import('./train-commands.js');

/** Builds the program for one run (commander keeps parse state, so each run gets a fresh one). */
function program(ctx: CliContext, train: TrainCommands | Error): Command {
  const cmd = new Command('motif')
    .description('Learn embeddings of piano performances from MIDI: tokenize, train, evaluate, embed, map, search.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.io.out(s), writeErr: (s) => ctx.io.err(s) })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_HELP);
  registerDemo(cmd, ctx);
  registerInspect(cmd, ctx);
  registerTokenizerTrain(cmd, ctx);
  registerTokenize(cmd, ctx);
  registerDecode(cmd, ctx);
  registerMapCommand(cmd, ctx.io, ctx.exit);
  if (train instanceof Error) {
    // Without the native core, the MIDI and tokenizer verbs still work; train/eval/export say why they cannot.
    for (const name of TRAIN_VERBS) {
      cmd
        .command(name)
        .description('(unavailable: the native compute core did not load)')
        .allowUnknownOption()
        .argument('[args...]')
        .action(() => {
          throw new UsageError(train.message);
        });
    }
  } else train.registerTrainCommands(cmd, ctx.io);
  registerEmbedCommands(cmd, ctx.io, ctx.exit);
  registerGenerate(cmd, ctx);
  registerServe(cmd, ctx);
  return cmd;
}

/** The verbs of train-commands.ts, named here because that module is what fails to load without the addon (a test keeps the two in step). */
export const TRAIN_VERBS = ['train', 'eval', 'export'] as const;

/** Runs `motif` with node-style argv (`[node, script, ...args]`); returns the exit code. */
export async function run(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let code: number = EXIT.ok;
  const ctx: CliContext = { io, exit: (c) => void (code = Math.max(code, c)) };
  // Training loads the native addon; import it lazily so a missing build breaks only train/eval.
  const train = await import('./train-commands.js').catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  try {
    await program(ctx, train).parseAsync([...argv]);
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
