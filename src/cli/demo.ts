// `motif demo` (what `npm start` runs): the main job on the embedded default dataset (data/default, an ASAP
// subset), so it works on a fresh machine without ../shared. It is a script of the same verbs a user runs,
// printed as it goes: tokenizer → shards → a small model trained for a few minutes → test evaluation →
// with the model shipped in models/, embeddings, maps and "pieces like this one". No logic of its own.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { openDataset } from '../data/dataset.js';
import { EXIT, printJson, UsageError, type CliIo, type CliContext } from './output.js';
import { positiveInt } from './shared.js';

/** The embedded dataset, found relative to this file (the same depth in src/ and dist/). */
export const DEFAULT_DATASET = fileURLToPath(new URL('../../data/default/', import.meta.url));
/** The embedding model that ships with motif: models/asap-small fine-tuned contrastively on the ASAP train split
 *  (see models/README.md). Its stores' continuations come from asap-small itself (run-model.ts originLanguageModel). */
export const SHIPPED_EMBEDDING_MODEL = fileURLToPath(new URL('../../models/asap-embed/', import.meta.url));
/** Marks a folder as the demo's own, so a later demo may replace it. */
const MARKER = '.motif-demo';

interface DemoFlags {
  out: string;
  vocabSize: number;
  preset: string;
  epochs: number;
  seq: number;
  minutes: number;
  model: string;
  json?: boolean;
}

/** Registers `demo`. */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .summary('Run the main job on the embedded default dataset (35 ASAP performances), end to end.')
    .description(
      'Runs, on data/default (an ASAP subset, CC BY-NC-SA 4.0), the verbs a user would: tokenizer train, tokenize, train ' +
        '(a small model for a few minutes), eval on the test split; then, with the embedding model shipped in models/asap-embed ' +
        '(trained on the ASAP train split), embed, map and similar. Each command is printed before it runs. ' +
        'Ends by printing where the report and the maps are. The output folder is replaced on each demo run.',
    )
    .option('--out <dir>', 'output folder', join('runs', 'demo'))
    .option('--vocab-size <n>', 'BPE vocabulary size (small: the default dataset is small)', positiveInt, 2000)
    .option('--preset <name>', 'model preset to train', 'small')
    .option('--epochs <n>', 'training epochs', positiveInt, 3)
    .option('--seq <n>', 'training window (tokens)', positiveInt, 256)
    .option('--minutes <m>', 'time budget of the training step', Number, 4)
    .option('--model <dir>', 'trained model for embeddings, maps and search ("none" to skip)', SHIPPED_EMBEDDING_MODEL)
    .option('--json', 'print one JSON summary of the steps')
    .action(async (opts: DemoFlags) => {
      prepareOut(opts.out);
      const { run } = await import('./main.js'); // the same entry the shell uses; imported late (main.ts imports this file)
      const json = Boolean(opts.json);
      const steps: Array<{ command: string; code: number; result?: unknown }> = [];
      const step = async (...args: string[]): Promise<unknown> => {
        const command = `motif ${args.join(' ')}`;
        if (!json) ctx.io.out(`\n$ ${command}\n`);
        let captured = '';
        const io: CliIo = json ? { out: (s) => void (captured += s), err: () => undefined, progress: false } : ctx.io;
        const code = await run(['node', 'motif', ...args, ...(json ? ['--json'] : [])], io);
        const result = json && captured.trim() ? JSON.parse(captured) : undefined;
        steps.push({ command, code, result });
        if (code === EXIT.usage) throw new UsageError(`demo stopped: \`${command}\` failed (exit code ${code})`);
        return result;
      };

      const out = opts.out,
        tok = join(out, 'tokenizer.json'),
        shards = join(out, 'tokens'),
        runDir = join(out, 'run');
      const testFile = openDataset(DEFAULT_DATASET).items.find((i) => i.split === 'test')?.path;
      if (!json)
        ctx.io.out(`motif demo: the main job on ${DEFAULT_DATASET} (ASAP subset, CC BY-NC-SA 4.0) → ${out}/\n`);
      await step('tokenizer', 'train', DEFAULT_DATASET, '--vocab-size', String(opts.vocabSize), '--out', tok);
      await step('tokenize', DEFAULT_DATASET, '--tokenizer', tok, '--out', shards);
      await step(
        'train',
        '--data',
        shards,
        '--preset',
        opts.preset,
        '--out',
        runDir,
        '--epochs',
        String(opts.epochs),
        '--seq',
        String(opts.seq),
        '--max-minutes',
        String(opts.minutes),
        '--snapshots',
        '0,last',
      );
      await step('eval', '--run', runDir, '--split', 'test');
      const withModel = opts.model !== 'none' && existsSync(join(opts.model, 'model.safetensors'));
      const store = join(out, 'store');
      if (withModel) {
        await step('embed', '--run', opts.model, '--data', DEFAULT_DATASET, '--out', store);
        await step('map', '--store', store, '--color', 'composer,form', '--out', join(out, 'maps', 'map'));
        if (testFile) await step('similar', testFile, '--store', store, '--run', opts.model, '--k', '5');
      } else if (!json && opts.model !== 'none') {
        ctx.io.out(`\n(no trained model at ${opts.model}: skipping embed, map and similar)\n`);
      }
      const report = join(runDir, 'report.html');
      if (json) printJson(ctx.io, { out, report, maps: withModel ? join(out, 'maps') : null, steps });
      else {
        ctx.io.out(`\nDone. Training report: ${report}\n`);
        if (withModel) {
          ctx.io.out(
            `Maps of the shipped model's embeddings: ${join(out, 'maps', 'map-composer.html')} (and .svg, -form)\n`,
          );
          ctx.io.out(
            `Explore them in the browser (map, listen, upload, continue): motif serve --store ${store}   then open http://127.0.0.1:4873/\n`,
          );
        }
      }
      ctx.exit(Math.max(...steps.map((s) => s.code)));
    });
}

/** Empties `out` when it is the demo's own (or new); refuses to touch any other non-empty folder. */
function prepareOut(out: string): void {
  if (existsSync(out) && readdirSync(out).length > 0 && !existsSync(join(out, MARKER))) {
    throw new UsageError(`${out}: exists, is not empty and was not made by motif demo; choose another --out`);
  }
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  // The marker goes in first so that a demo interrupted half-way is still replaced by the next one.
  writeFileSync(join(out, MARKER), 'made by motif demo; replaced by the next demo run\n');
}
