// `motif generate`: continues a MIDI prompt (or starts from nothing) with a trained model and writes
// MIDI. A thin verb over src/generate/generate.ts; the model and the native core load only when it runs.
import { statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { Command } from 'commander';
import { ensureDir, writeAtomic } from '../util/atomic.js';
import type { Notes } from '../midi/notes.js';
import type { GeneratedSample } from '../generate/generate.js';
import { printJson, round, startProgress, UsageError, type CliContext } from './output.js';
import { CHECKPOINT_HELP, numberParser, positiveInt, positiveSeconds, readInputFile, seedValue } from './shared.js';

interface GenerateCliOptions {
  model: string;
  checkpoint: string;
  prompt?: string;
  promptSeconds?: number;
  seconds?: number;
  notes?: number;
  tokens?: number;
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  seed: number;
  samples: number;
  mask: boolean;
  continuationOnly?: boolean;
  out: string;
  json?: boolean;
  progress: boolean;
}

const DEFAULT_SECONDS = 20;

/** Registers `generate`. */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('generate')
    .summary('Continue a MIDI prompt with a trained model (or improvise from nothing) and write MIDI.')
    .description(
      'Tokenizes the prompt exactly as in training (pedal rule, scheme, BPE), then samples one token at a time from the model ' +
        '(a KV cache makes each token cost one position), for --seconds of music past the prompt (default 20) or --notes / --tokens. ' +
        'Ids whose notes cannot follow (a note-off of a pitch not sounding, ...) are masked, notes still sounding at the end are closed, ' +
        'and the file holds the prompt as the model read it followed by the continuation, on one piano track (times in seconds, 120 bpm grid).',
    )
    .requiredOption(
      '--model <dir>',
      'a run folder (motif train --out) or an exported model folder (e.g. models/asap-small)',
    )
    .option('--checkpoint <which>', CHECKPOINT_HELP, 'best')
    .option('--prompt <file.mid>', 'MIDI file to continue (default: none, start from the beginning-of-piece token)')
    .option('--prompt-seconds <s>', 'use only the first s seconds of the prompt', positiveSeconds)
    .option(
      '--seconds <s>',
      `stop after s seconds of music past the prompt (default ${DEFAULT_SECONDS} unless --notes or --tokens is given)`,
      positiveSeconds,
    )
    .option('--notes <n>', 'stop after n new notes', positiveInt)
    .option('--tokens <n>', 'stop after n new tokens', positiveInt)
    .option(
      '--temperature <t>',
      'softmax temperature; 0 is greedy (default 0.9 with top-p 0.95: chosen on the ASAP validation split by bench/generate-sanity.mjs)',
      numberParser((x) => x >= 0 && Number.isFinite(x), 'a number ≥ 0'),
      0.9,
    )
    .option(
      '--top-k <k>',
      'sample among the k most likely tokens (0: all)',
      numberParser((x) => Number.isInteger(x) && x >= 0, 'a non-negative integer'),
      0,
    )
    .option(
      '--top-p <p>',
      'sample among the most likely tokens up to cumulative probability p (1: all)',
      numberParser((x) => x > 0 && x <= 1, 'a number in (0, 1]'),
      0.95,
    )
    .option(
      '--min-p <p>',
      'drop tokens less likely than p times the most likely',
      numberParser((x) => x >= 0 && x <= 1, 'a number in [0, 1]'),
      0,
    )
    .option('--seed <n>', 'seed of the sampler: the same seed gives the same file', seedValue, 0)
    .option('--samples <k>', 'continuations of the same prompt, decoded as one batch', positiveInt, 1)
    .option('--no-mask', 'do not mask tokens that cannot follow; repair them instead (the count is reported)')
    .option('--continuation-only', 'write the continuation alone (shifted to start at 0), without the prompt')
    .requiredOption(
      '--out <file.mid|dir>',
      'MIDI file to write; with --samples > 1, <name>-1.mid, ... beside it, or sample-1.mid, ... in a folder',
    )
    .option('--json', 'print what was written as JSON (notes, seconds, tokens, tokens_per_s, repairs, out)')
    .option('--no-progress', 'no progress bar')
    .addHelpText(
      'after',
      `
Examples:
  motif generate --model models/asap-small --prompt piece.mid --prompt-seconds 10 --seconds 20 --out continued.mid
  motif generate --model models/asap-small --samples 4 --temperature 1 --top-p 1 --seed 7 --out improvisations/
  motif generate --model runs/small --checkpoint last --prompt piece.mid --temperature 0.9 --out next.mid --json`,
    )
    .action(async (opts: GenerateCliOptions) => {
      const { loadRunModel, originLanguageModel } = await import('../run/run-model.js');
      const { generate, cropPrompt } = await import('../generate/generate.js');
      const { readMidi } = await import('../midi/read.js');
      const { applySustain } = await import('../midi/sustain.js');
      const { writeMidi } = await import('../midi/write.js');
      if (opts.promptSeconds !== undefined && !opts.prompt) throw new UsageError('--prompt-seconds needs --prompt');
      let run;
      try {
        run = loadRunModel(opts.model, opts.checkpoint);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const origin = originLanguageModel(opts.model);
      if (origin)
        ctx.io.err(
          `note: ${opts.model} is an embedding model (motif train --objective contrastive), a weaker language model ` +
            `than the one it was fine-tuned from; --model ${relative(process.cwd(), origin) || '.'} continues with that one\n`,
        );
      let prompt: Notes | undefined;
      if (opts.prompt) {
        const bytes = readInputFile(opts.prompt);
        try {
          const perf = readMidi(bytes, opts.prompt, { instruments: run.instruments });
          prompt = run.sustain === 'none' ? perf.notes : applySustain(perf, { rule: run.sustain });
        } catch (err) {
          throw new UsageError((err as Error).message);
        }
        if (opts.promptSeconds !== undefined) prompt = cropPrompt(prompt, opts.promptSeconds);
        if (prompt.length === 0)
          throw new UsageError(
            `${opts.prompt}: no notes${opts.promptSeconds ? ` in its first ${opts.promptSeconds} s` : ''} to continue`,
          );
      }
      const maxSeconds =
        opts.seconds ?? (opts.notes === undefined && opts.tokens === undefined ? DEFAULT_SECONDS : undefined);
      const paths = outputPaths(opts.out, opts.samples);
      const json = Boolean(opts.json);
      const bar = startProgress(
        ctx.io,
        json || !opts.progress,
        opts.tokens ?? opts.notes ?? Math.ceil(maxSeconds ?? 0),
        opts.tokens ? 'tokens' : opts.notes ? 'notes' : 'seconds',
      );
      let shown = 0;
      const result = generate(run.model, run.tokenizer, {
        prompt,
        maxSeconds,
        maxNotes: opts.notes,
        maxTokens: opts.tokens,
        temperature: opts.temperature,
        topK: opts.topK,
        topP: opts.topP,
        minP: opts.minP,
        seed: opts.seed,
        samples: opts.samples,
        maskInvalid: opts.mask,
        onToken: (s, _id, p) => {
          if (s !== 0) return;
          const now = Math.floor(opts.tokens ? p.tokens : opts.notes ? p.notes : p.seconds);
          if (now > shown) bar.tick(now - shown);
          shown = Math.max(shown, now);
        },
        onSlide: (at, kept) => {
          if (!json) ctx.io.err(`context full at ${at} tokens: re-encoded the last ${kept}\n`);
        },
      });
      bar.stop();
      const written = result.samples.map((sample, i) => {
        const notes = opts.continuationOnly ? sample.continuation : sample.notes;
        writeAtomic(paths[i], writeMidi(notes));
        return summary(sample, notes, paths[i]);
      });
      const total = {
        out: written.length === 1 ? written[0].out : written.map((w) => w.out),
        notes: written.reduce((a, w) => a + w.notes, 0),
        seconds: written.length === 1 ? written[0].seconds : written.map((w) => w.seconds),
        tokens: written.reduce((a, w) => a + w.tokens, 0),
        tokens_per_s: Math.round(result.tokensPerSecond),
        repairs: written.reduce((a, w) => a + w.repairs, 0),
        slides: result.slides,
        prompt: { tokens: result.promptIds.length, seconds: round(result.promptSeconds) },
        ...(written.length > 1 ? { samples: written } : {}),
      };
      if (json) return printJson(ctx.io, total);
      const what = opts.prompt
        ? `continued ${opts.prompt} (${result.promptSeconds.toFixed(1)} s, ${result.promptIds.length} tokens)`
        : 'generated from nothing';
      ctx.io.out(`${what}: ${total.tokens} tokens at ${total.tokens_per_s} tokens/s, ${total.repairs} repairs\n`);
      for (const w of written)
        ctx.io.out(`  ${w.out}: ${w.notes} notes, ${w.seconds} s${w.ended ? ' (the model ended the piece)' : ''}\n`);
    });
}

function summary(sample: GeneratedSample, notes: Notes, out: string) {
  let end = 0;
  for (let i = 0; i < notes.length; i++) end = Math.max(end, notes.end[i]);
  return {
    out,
    notes: notes.length,
    seconds: round(end),
    tokens: sample.ids.length,
    repairs: sample.repairs,
    ended: sample.progress.ended,
  };
}

/** Where each sample goes: the file itself, <name>-i.mid beside it, or sample-i.mid in a folder. */
function outputPaths(out: string, samples: number): string[] {
  const ext = extname(out).toLowerCase();
  const isFile = ext === '.mid' || ext === '.midi';
  let isDir = false;
  try {
    isDir = statSync(out).isDirectory();
  } catch {
    // does not exist yet
  }
  if (isFile && !isDir) {
    if (samples === 1) return [out];
    const stem = out.slice(0, out.length - ext.length);
    return Array.from({ length: samples }, (_, i) => `${stem}-${i + 1}${ext}`);
  }
  if (!isDir && ext !== '') throw new UsageError(`--out ${out}: expected a .mid file or a folder`);
  try {
    ensureDir(out);
  } catch (err) {
    throw new UsageError(`--out ${(err as Error).message}`);
  }
  return Array.from({ length: samples }, (_, i) => join(out, `sample-${i + 1}.mid`));
}
