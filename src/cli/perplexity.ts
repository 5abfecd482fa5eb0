// The `motif perplexity` verb (alias `eval`): how well a run's model predicts the tokens of a split, beside
// the n-gram bars; recorded in the run with its report redrawn. Embedding quality is `motif evaluate-embeddings`.
import type { Command } from 'commander';
import type { EvalOutcome } from '../train/run.js';
import { printJson, type CliContext } from './output.js';
import { CHECKPOINT_HELP, precisionOption } from './shared.js';
import { describePrecision, type PrecisionChoice } from '../model/precision.js';

/** Adds `perplexity` (alias `eval`). */
export function register(program: Command, { io }: CliContext): void {
  program
    .command('perplexity')
    .alias('eval')
    .summary('Test loss, perplexity and bits per note of a trained run (language-model quality; alias: eval).')
    .description(
      "Evaluate a run's best (or given) checkpoint on a split of its token shards: loss (nats per token), perplexity, and bits per note " +
        '(total NLL in bits / notes, comparable across vocabularies); beside it, a unigram and a bigram fitted on the train split and scored on the ' +
        'same tokens, the bar a model must clear to have learned more than which token follows which. The bars are fitted on the ' +
        "run's own training shards, also when --data names other shards (your own recordings); without those shards eval says so.\n\n" +
        'Evaluating a training run on its own shards writes eval-<split>.json into it and refreshes report.html; an exported model ' +
        'folder (models/...) is never written to, and neither is a run evaluated on other data.',
    )
    .requiredOption('--run <dir>', 'run directory (motif train --out) or exported model folder')
    .option(
      '--split <name>',
      'split to evaluate: train, validation, test, or all (every piece, e.g. of a dataset without splits)',
      'test',
    )
    .option('--checkpoint <which>', CHECKPOINT_HELP, 'best')
    .option('--data <dir>', 'token shards (default: the ones the run trained on)')
    .addOption(
      precisionOption(
        'the evaluation',
        '; default: the precision the run trained in (fp32 for torch-engine runs and runs from before bf16), so ' +
          'that the figures match the validation losses it logged',
      ),
    )
    .option('--json', 'print the result as JSON')
    .action(async (opts: EvalCliOptions) => {
      // Loaded here, not at the top: the native core loads with them, and the other verbs must work without it.
      const { evaluateRun } = await import('../train/run.js');
      const { writeRunReport } = await import('../report/run-report.js');
      const r = await evaluateRun(opts.run, opts.split, opts.checkpoint, opts.data, opts.precision);
      if (r.written) await writeRunReport(opts.run);
      if (opts.json) printJson(io, r);
      else io.out(formatEval(r));
    });
}

interface EvalCliOptions {
  run: string;
  split: string;
  checkpoint: string;
  data?: string;
  precision?: PrecisionChoice;
  json?: boolean;
}

/** One line per figure, for people. */
function formatEval(r: EvalOutcome): string {
  return (
    `${r.split}: loss ${r.loss.toFixed(4)}  perplexity ${r.perplexity.toFixed(2)}  bits/note ${r.bitsPerNote.toFixed(3)}\n` +
    `  ${r.pieces} pieces, ${r.notes} notes, ${r.targets} tokens; checkpoint ${r.checkpoint} (step ${r.step})` +
    (r.compute ? `; ${describePrecision(r.compute)}\n` : '\n') +
    (['unigram', 'bigram'] as const)
      .map((k) =>
        r.baselines
          ? `  ${k} baseline (counts of the run's train split): loss ${r.baselines[k].loss.toFixed(4)}  bits/note ${r.baselines[k].bitsPerNote.toFixed(3)}\n`
          : '',
      )
      .join('') +
    (r.baselineNote ? `  ${r.baselineNote}\n` : '') +
    (r.written ? `  recorded in ${r.written}\n` : '')
  );
}
