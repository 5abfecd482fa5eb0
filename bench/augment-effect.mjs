// The effect of data augmentation at equal budget: the same preset, seed and number of steps, trained
// with and without on-the-fly augmentation (transposition, tempo stretch, velocity offset), validated
// at the same steps on the unaugmented validation split, in bits per note. Augmentation only matters
// once pieces repeat, so the budget is several epochs; the default data (data/default, 22 train
// performances) overfits within minutes, which is the regime augmentation exists for.
// Check first: each run's `motif eval` of its last checkpoint reproduces the run's own last validation.
// Usage: npm run build && node bench/augment-effect.mjs [--data data/default] [--vocab 1024] [--epochs 16]
//        [--transpose 5] [--stretch 0.1] [--velocity 8] [--out runs/augment-effect] [--figure f.svg] [--json]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderSvg } from '../dist/report/curves.js';
import { cpuInfo } from './lib/hardware.mjs';
import { evalLastValidation, motif, runMetrics } from './lib/motif-cli.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    data: { type: 'string', default: join(ROOT, 'data', 'default') },
    vocab: { type: 'string', default: '1024' },
    preset: { type: 'string', default: 'small' },
    epochs: { type: 'string', default: '16' },
    transpose: { type: 'string', default: '5' },
    stretch: { type: 'string', default: '0.1' },
    velocity: { type: 'string', default: '8' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: join(ROOT, 'runs', 'augment-effect') },
    figure: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log(
    'node bench/augment-effect.mjs [--data data/default] [--vocab 1024] [--preset small] [--epochs 16] [--transpose 5] [--stretch 0.1] [--velocity 8] [--seed 1] [--out runs/augment-effect] [--figure f.svg] [--json]',
  );
  process.exit(0);
}
mkdirSync(opts.out, { recursive: true });

const tokenizer = join(opts.out, 'tokenizer.json');
const shards = join(opts.out, 'shards');
if (!existsSync(join(shards, 'index.json'))) {
  motif('tokenizer', 'train', opts.data, '--vocab-size', opts.vocab, '--out', tokenizer, '--json');
  motif('tokenize', opts.data, '--tokenizer', tokenizer, '--out', shards, '--json');
}
// Equal budget: both runs take exactly the steps of --epochs unaugmented epochs (a stretched epoch has
// a few more or fewer tokens), validating once per such epoch.
const index = JSON.parse(readFileSync(join(shards, 'index.json'), 'utf8'));
const trainTokens = index.shards.filter((s) => s.split === 'train').reduce((n, s) => n + s.tokens, 0);
const { batchSize, seqLen } = JSON.parse(readFileSync(join(ROOT, 'presets', `${opts.preset}.json`), 'utf8')).train;
const stepsPerEpoch = Math.max(1, Math.round(trainTokens / (batchSize * seqLen)));
const steps = stepsPerEpoch * Number(opts.epochs);

const RUNS = [
  { name: 'plain', what: 'no augmentation', flags: [] },
  {
    name: 'augmented',
    what: `±${opts.transpose} semitones, ±${Number(opts.stretch) * 100}% tempo, ±${opts.velocity} velocity`,
    flags: ['--transpose', opts.transpose, '--stretch', opts.stretch, '--velocity-offset', opts.velocity],
  },
];
const rows = [];
const curves = [];
for (const r of RUNS) {
  const run = join(opts.out, r.name);
  if (!existsSync(join(run, 'config.json'))) {
    motif(
      'train',
      '--data',
      shards,
      '--preset',
      opts.preset,
      '--steps',
      String(steps),
      '--eval-interval',
      String(stepsPerEpoch),
      '--snapshots',
      '',
      '--seed',
      opts.seed,
      '--out',
      run,
      '--no-progress',
      '--json',
      ...r.flags,
    );
  } else if (runMetrics(run).at(-1).step < steps) {
    motif('train', '--resume', run, '--no-progress', '--json');
  }
  const { ev } = evalLastValidation(run);
  const bitsPerNat = ev.bitsPerNote / ev.loss; // the split's tokens per note / ln 2: the same at every step
  // An epoch's end and an --eval-interval can validate at the same step: keep one point per step.
  const vals = [
    ...new Map(
      runMetrics(run)
        .filter((m) => m.valLoss !== undefined)
        .map((m) => [m.step, m]),
    ).values(),
  ];
  for (const m of vals) curves.push({ run: r.name, step: m.step, bits_per_note: m.valLoss * bitsPerNat });
  const best = vals.reduce((a, b) => (b.valLoss < a.valLoss ? b : a));
  const train = runMetrics(run)
    .filter((m) => m.trainLoss !== undefined)
    .at(-1);
  rows.push({
    name: r.name,
    what: r.what,
    steps: ev.step,
    best_step: best.step,
    best_val_bits_per_note: best.valLoss * bitsPerNat,
    final_val_bits_per_note: ev.bitsPerNote,
    final_train_loss: train.trainLoss,
    final_val_loss: ev.loss,
    bigram_bits_per_note: ev.baselines?.bigram.bitsPerNote ?? null,
    wall_minutes: runMetrics(run).at(-1).elapsed / 60,
  });
}

const hardware = cpuInfo();
const table = [
  `Augmentation at equal budget: preset ${opts.preset}, ${steps} steps (${opts.epochs} epochs of ${relative(process.cwd(), resolve(opts.data)) || '.'}'s train split, V ${index.vocabSize}), seed ${opts.seed}, on ${hardware.model}; validation split unaugmented, in bits per note.`,
  '',
  '| run | augmentation | best val bits/note (step) | final val bits/note | final train loss | final val loss | bigram bits/note |',
  '|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.name} | ${r.what} | **${r.best_val_bits_per_note.toFixed(2)}** (${r.best_step}) | ${r.final_val_bits_per_note.toFixed(2)} | ${r.final_train_loss.toFixed(3)} | ${r.final_val_loss.toFixed(3)} | ${r.bigram_bits_per_note?.toFixed(2) ?? '—'} |`,
  ),
].join('\n');
writeFileSync(join(opts.out, 'augment-effect.md'), table + '\n');
writeFileSync(join(opts.out, 'augment-effect.json'), JSON.stringify({ steps, hardware, rows, curves }, null, 2) + '\n');

const svg = await renderSvg({
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  title: 'Validation bits per note, with and without augmentation (same steps, seed)',
  width: 520,
  height: 260,
  data: { values: curves },
  mark: { type: 'line', point: true },
  encoding: {
    x: { field: 'step', type: 'quantitative', title: 'step' },
    y: { field: 'bits_per_note', type: 'quantitative', title: 'validation bits per note', scale: { zero: false } },
    color: { field: 'run', type: 'nominal', title: null },
  },
});
writeFileSync(join(opts.out, 'augment-effect.svg'), svg);
if (opts.figure) writeFileSync(resolve(opts.figure), svg);

if (opts.json) console.log(JSON.stringify({ steps, rows }));
else console.log(table + `\n\n(files in ${opts.out})`);
