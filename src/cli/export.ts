// The `motif export` verb: writes one checkpoint of a run as a self-contained model folder (src/train/export.ts).
import type { Command } from 'commander';
import { resolveCheckpoint } from '../run/checkpoint-choice.js';
import { printJson, type CliContext } from './output.js';
import { CHECKPOINT_HELP } from './shared.js';

/** Adds `export`. */
export function register(program: Command, { io }: CliContext): void {
  program
    .command('export')
    .summary("Write a run's model as a self-contained folder (weights, config, tokenizer, record).")
    .description(
      'Export one checkpoint of a run without its optimizer state: model.safetensors (tensor names of python/motif_model.py, ' +
        'so PyTorch loads it), config.json, tokenizer.json, metrics and evaluations. The folder works wherever a run does ' +
        '(motif embed/similar/map --run <folder>); it cannot be resumed.',
    )
    .requiredOption('--run <dir>', 'run directory (motif train --out)')
    .requiredOption('--out <dir>', 'new folder to write')
    .option('--checkpoint <which>', CHECKPOINT_HELP, 'best')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { run: string; out: string; checkpoint: string; json?: boolean }) => {
      // Loaded here, not at the top: the native core loads with it, and the other verbs must work without it.
      const { exportModel } = await import('../train/export.js');
      const r = exportModel(opts.run, resolveCheckpoint(opts.run, opts.checkpoint), opts.out);
      if (opts.json) printJson(io, r);
      else
        io.out(
          `exported step ${r.step} (${r.parameters} parameters) from ${r.checkpoint} → ${r.out}/ (${r.files.join(', ')})\n`,
        );
    });
}
