// The `motif train` verb: flag parsing, Ctrl-C handling, printing and the report around src/train/run.ts.
// No training logic here.
import { Option, type Command } from 'commander';
import { CONTRASTIVE_DEFAULTS } from '../run/config.js';
import { parseSnapshotEpochs } from '../run/train-options.js';
import type { NewRun, RunOutcome } from '../train/run.js';
import type { TorchOptions } from '../train/torch-engine.js';
import { POSITIVES, type Positives } from '../train/slice-pairs.js';
import { printJson, UsageError, type CliContext, type CliIo } from './output.js';
import { integerValue, numberValue, precisionOption } from './shared.js';

/** Flag name → [TrainOptions field, parser, help]. The field names are those of a config file's "train" section. */
const TRAIN_FLAGS: Array<[string, string, (v: string) => unknown, string]> = [
  ['--batch <n>', 'batchSize', integerValue, 'windows per step (B)'],
  ['--seq <n>', 'seqLen', integerValue, 'tokens per window (T), at most the model maxLen'],
  ['--lr <x>', 'lr', numberValue, 'peak learning rate of the one-cycle schedule'],
  ['--epochs <n>', 'epochs', integerValue, 'passes over the train tokens'],
  [
    '--steps <n>',
    'steps',
    integerValue,
    'optimizer steps in all, instead of --epochs (the schedule spans exactly these)',
  ],
  ['--l1 <x>', 'l1', numberValue, 'L1 penalty λ (0: off)'],
  [
    '--l1-form <form>',
    'l1Form',
    String,
    "mean: λ·mean|w| (the presets'); sum: λ·Σ|w|, the literal form, which stops the paper preset learning at λ 1e-2",
  ],
  ['--weight-decay <x>', 'weightDecay', numberValue, 'AdamW weight decay'],
  ['--clip <x>', 'clipNorm', numberValue, 'gradient-norm clip (≤ 0: off)'],
  ['--warmup <share>', 'pctStart', numberValue, 'share of steps warming up in the one-cycle schedule'],
  ['--seed <n>', 'seed', integerValue, 'seed of initialisation, batches and dropout'],
  ['--threads <n>', 'threads', integerValue, 'native threads (0: all cores)'],
  ['--eval-interval <steps>', 'evalInterval', integerValue, 'validate every N steps too (0: per epoch only)'],
  [
    '--checkpoint-interval <steps>',
    'checkpointInterval',
    integerValue,
    'checkpoint every N steps too (0: per epoch only)',
  ],
  ['--keep <n>', 'keepCheckpoints', integerValue, 'checkpoints kept besides the best'],
  [
    '--snapshots <epochs>',
    'snapshotEpochs',
    (v) => parseSnapshotEpochs(v),
    'epochs to snapshot for embeddings, e.g. 0,10,30,last',
  ],
  [
    '--transpose <semitones>',
    'augmentTranspose',
    integerValue,
    'augment: transpose each train piece by up to ± this many semitones, redrawn each epoch (never off the keyboard)',
  ],
  [
    '--stretch <fraction>',
    'augmentStretch',
    numberValue,
    "augment: stretch each train piece's tempo by up to ± this fraction (0.1 = ±10%)",
  ],
  [
    '--velocity-offset <n>',
    'augmentVelocity',
    integerValue,
    'augment: add up to ± n to every velocity of a train piece (clamped to 1..127)',
  ],
];
const camel = (flag: string): string =>
  flag
    .slice(2)
    .split(' ')[0]
    .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Adds `train`. */
export function register(program: Command, { io, exit }: CliContext): void {
  const trainCmd = program
    .command('train')
    .summary('Train the transformer on token shards, or resume a run.')
    .description(
      'Train the transformer on the train split of token shards (motif tokenize), validating on the validation split. ' +
        'Settings come from the preset, then --config, then flags.\n\n' +
        'The run directory gets config.json, metrics.jsonl, checkpoints/ (last K plus best), snapshots/, loss and perplexity curves (SVG) and report.html.\n\n' +
        'Ctrl-C saves a checkpoint and stops; continue with --resume <run dir>.\n\n' +
        'With --engine torch, PyTorch trains the same model into the same run directory (python/train_torch.py; with --nproc n, ' +
        'n processes under torchrun, DistributedDataParallel): for GPUs. Either engine resumes a run the other started.\n\n' +
        '--objective contrastive --init <run|model folder> fine-tunes a trained language model into an embedding model: two random ' +
        'slices of the same performance (or, --positives work, of two performances of one work; --positives passage, of two performances at the same place) ' +
        'are a positive pair, the other slices of the batch are negatives (symmetric InfoNCE; with --composer-weight, partly ' +
        'also the slices by the same composer), and a ' +
        "head maps the mean-pooled hidden state to a unit vector. It starts from the init model's weights and settings (no preset); " +
        '--batch is pairs per step, --seq the longest slice; --stretch and --velocity-offset jitter each view with a draw of its ' +
        'own (two renditions of the train split per epoch; none by default). Validation reports the InfoNCE loss and how often a ' +
        'slice finds its pair first.',
    )
    .option(
      '--objective <name>',
      'language-model (next-token prediction) or contrastive (embeddings; needs --init)',
      'language-model',
    )
    .option('--init <dir>', 'contrastive: the trained run or exported model folder to start from (its best checkpoint)')
    .option(
      '--embed-dim <n>',
      `contrastive: width of the embedding (default ${CONTRASTIVE_DEFAULTS.embedDim})`,
      integerValue,
    )
    .option(
      '--temperature <t>',
      `contrastive: InfoNCE temperature (default ${CONTRASTIVE_DEFAULTS.temperature})`,
      numberValue,
    )
    .option(
      '--slice-min <tokens>',
      `contrastive: shortest slice in tokens (default ${CONTRASTIVE_DEFAULTS.minTokens}; the longest is --seq)`,
      integerValue,
    )
    .addOption(
      new Option(
        '--positives <what>',
        `contrastive: what the two slices of a positive pair share: one performance; one work (a slice anywhere in another performance of it when the split has one); or one passage (another performance's slice at the same share of its tokens; default ${CONTRASTIVE_DEFAULTS.positives})`,
      ).choices(POSITIVES),
    )
    .option(
      '--composer-weight <w>',
      `contrastive: share (0..1) of each slice's target spread over the batch's slices by the same composer, from the metadata of the train split (supervised contrastive: embeddings that group composers; pieces without a composer keep their own pair; default ${CONTRASTIVE_DEFAULTS.composerWeight})`,
      numberValue,
    )
    .option(
      '--works-per-composer <k>',
      `contrastive: each batch takes its works k by composer (composers in a random order), so that every slice meets slices by its own composer; 0 draws works uniformly (default ${CONTRASTIVE_DEFAULTS.worksPerComposer})`,
      integerValue,
    )
    .option('--data <dir>', 'token shards folder (from motif tokenize)')
    .option('--preset <name|file>', 'model and optimizer preset: tiny, small, paper or a .json file', 'small')
    .option('--out <dir>', 'new run directory')
    .option('--config <file>', 'JSON file with "model" and "train" sections overriding the preset')
    .option('--resume <dir>', 'continue this run exactly from its newest checkpoint')
    .option('--dropout <p>', 'dropout probability (overrides the preset)', numberValue)
    .option('--max-minutes <m>', 'time budget of this invocation; checkpoints and stops when spent', numberValue)
    .option(
      '--max-steps <n>',
      'stop this invocation with a checkpoint once the run has done n steps in all (the schedule still spans --steps/--epochs; --resume continues)',
      integerValue,
    )
    .option(
      '--engine <name>',
      'native (the compute core, CPU) or torch (PyTorch DistributedDataParallel through torchrun: GPUs, several processes); both read and write the same run directory',
      'native',
    )
    .option(
      '--nproc <n>',
      'torch engine: processes on this machine (one per GPU); each trains batch / n windows of every step',
      integerValue,
    )
    .option('--device <name>', 'torch engine: cpu or cuda (default: cuda where PyTorch sees one)')
    .addOption(
      precisionOption(
        'the training steps',
        '. Native engine: default auto, recorded in the run resolved, kept by --resume. ' +
          'Torch engine: bf16 is autocast; default (and auto) bf16 on cuda, fp32 on cpu',
      ),
    )
    .option('--json', 'print the outcome as JSON')
    .option(
      '--no-progress',
      'no progress bar, plain lines instead (as when stderr is not a terminal): epochs, evaluations, a step line with ETA each minute',
    );
  for (const [flag, , parse, help] of TRAIN_FLAGS) trainCmd.option(flag, help, parse);
  trainCmd.action(async (opts: Record<string, unknown>) => {
    const train: Record<string, unknown> = {};
    for (const [flag, field] of TRAIN_FLAGS) if (opts[camel(flag)] !== undefined) train[field] = opts[camel(flag)];
    // Loaded here, not at the top: the native core loads with them, and the other verbs must work without it.
    const { resumeRun, startRun } = await import('../train/run.js');
    const { writeRunReport } = await import('../report/run-report.js');
    const ctl = new AbortController();
    // Ctrl-C (and a polite kill) stop at the next step boundary with a checkpoint.
    const onSignal = (): void => {
      if (ctl.signal.aborted) process.exit(130);
      io.err('\nstopping after this step and saving a checkpoint (Ctrl-C again to quit at once)\n');
      ctl.abort();
    };
    // SIGHUP too: a closed terminal or ssh session must not lose the run's progress since its last checkpoint.
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    for (const sig of signals) process.on(sig, onSignal);
    try {
      const controls = {
        progress: opts.json ? ('off' as const) : opts.progress === false ? ('lines' as const) : ('auto' as const),
        signal: ctl.signal,
        maxMinutes: opts.maxMinutes as number | undefined,
        stopAtStep: opts.maxSteps as number | undefined,
        onWarning: (m: string) => io.err(`warning: ${m}\n`),
        torch: torchOptions(opts),
      };
      let outcome: RunOutcome;
      if (opts.resume) {
        if (
          opts.data ||
          opts.out ||
          (opts.precision !== undefined && !controls.torch) ||
          opts.config ||
          opts.init ||
          opts.dropout !== undefined ||
          Object.keys(train).length > 0
        ) {
          throw new UsageError(
            '--resume continues a run with its own settings (its precision too); only --max-minutes, --max-steps and the torch engine flags may be given with it',
          );
        }
        outcome = await resumeRun(opts.resume as string, controls);
      } else {
        const contrastive = contrastiveSpec(opts);
        if (!opts.out || (!opts.data && !contrastive))
          throw new UsageError('motif train needs --data <shards> and --out <run dir> (or --resume <run dir>)');
        if (opts.maxMinutes !== undefined) train.maxMinutes = opts.maxMinutes;
        if (opts.precision !== undefined && !controls.torch) train.precision = opts.precision;
        outcome = await startRun(
          {
            data: opts.data as string | undefined,
            preset: opts.preset as string,
            out: opts.out as string,
            configFile: opts.config as string | undefined,
            model: opts.dropout !== undefined ? { dropout: opts.dropout as number } : {},
            train,
            contrastive,
          },
          controls,
        );
      }
      // A run continues on the engine it was stopped on unless the user says otherwise.
      const engine = controls.torch ? ` --engine torch --nproc ${controls.torch.nproc}` : '';
      printOutcome(io, outcome, await writeRunReport(outcome.runDir), Boolean(opts.json), engine);
      if (outcome.result.status === 'interrupted') exit(130);
    } finally {
      for (const sig of signals) process.off(sig, onSignal);
    }
  });
}

/** The contrastive run's init model and settings from the flags, or undefined for a language-model run (which takes none of them). */
function contrastiveSpec(opts: Record<string, unknown>): NewRun['contrastive'] {
  const given = (
    ['init', 'embedDim', 'temperature', 'sliceMin', 'positives', 'composerWeight', 'worksPerComposer'] as const
  ).filter((k) => opts[k] !== undefined);
  if (opts.objective === 'language-model') {
    if (given.length)
      throw new UsageError(
        `--${given[0].replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is a setting of the contrastive objective; add --objective contrastive`,
      );
    return undefined;
  }
  if (opts.objective !== 'contrastive')
    throw new UsageError(`--objective must be language-model or contrastive, got ${String(opts.objective)}`);
  if (!opts.init)
    throw new UsageError(
      '--objective contrastive needs --init <run or model folder>: the language model it starts from',
    );
  if (opts.config !== undefined)
    throw new UsageError('a contrastive run takes its model and settings from --init; --config does not apply');
  return {
    init: opts.init as string,
    flags: {
      embedDim: opts.embedDim as number | undefined,
      temperature: opts.temperature as number | undefined,
      minTokens: opts.sliceMin as number | undefined,
      positives: opts.positives as Positives | undefined,
      composerWeight: opts.composerWeight as number | undefined,
      worksPerComposer: opts.worksPerComposer as number | undefined,
    },
  };
}

/** The torch engine's settings from the flags, or undefined for the native engine (which takes none of them). */
function torchOptions(opts: Record<string, unknown>): TorchOptions | undefined {
  const given = (['nproc', 'device'] as const).filter((k) => opts[k] !== undefined);
  if (opts.engine === 'native') {
    if (given.length) throw new UsageError(`--${given[0]} is a setting of the torch engine; add --engine torch`);
    return undefined;
  }
  if (opts.engine !== 'torch') throw new UsageError(`--engine must be native or torch, got ${String(opts.engine)}`);
  const { device } = opts;
  // --precision is both engines' flag; auto leaves the torch engine its own default.
  const precision = opts.precision === 'auto' ? undefined : (opts.precision as TorchOptions['precision']);
  if (device !== undefined && device !== 'cpu' && device !== 'cuda')
    throw new UsageError(`--device must be cpu or cuda, got ${String(device)}`);
  return { nproc: (opts.nproc as number | undefined) ?? 1, device, precision };
}

function printOutcome(io: CliIo, o: RunOutcome, report: string, json: boolean, engineFlags: string): void {
  const r = o.result;
  if (json) return printJson(io, { runDir: o.runDir, report, ...r });
  const what = {
    finished: 'finished',
    interrupted: 'interrupted; checkpoint saved',
    'time-limit': 'time budget spent; checkpoint saved',
    stopped: 'stopped; checkpoint saved',
  }[r.status];
  io.out(
    `${what}: step ${r.step}/${r.totalSteps}, ${r.epochsDone} epochs, best validation loss ${r.bestValLoss.toFixed(4)}\n`,
  );
  if (r.status !== 'finished') io.out(`continue with: motif train --resume ${o.runDir}${engineFlags}\n`);
  io.out(`report: ${report}\n`);
}
