// Training throughput of the two engines through `motif train` as a user runs it: native (the compute core)
// against --engine torch with one process and with two gloo processes (DistributedDataParallel, CPU), on the
// tiny and small presets, the same steps of the same synthetic shards. Tokens/s is training-step time only
// (the runs' own metrics, first record dropped as warm-up); wall time includes start-up and validation.
// Token values do not change the arithmetic, so random ids stand in for a corpus. Checks that every engine
// ends near native's validation loss; no assertions on speed.
// Usage: npm run build && node bench/train-engines.mjs [--steps-small 24] [--steps-tiny 400] [--json]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ShardWriter } from '../dist/data/shards.js';
import { Rng } from '../dist/util/rng.js';
import { motif, runMetrics } from './lib/motif-cli.mjs';

const { values: opts } = parseArgs({
  options: {
    'steps-small': { type: 'string', default: '24' },
    'steps-tiny': { type: 'string', default: '400' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log('node bench/train-engines.mjs [--steps-small n (24)] [--steps-tiny n (400)] [--json]');
  process.exit(0);
}
const PYTHON = process.env.MOTIF_PYTHON ?? '/usr/bin/python3';
const torchVersion = spawnSync(PYTHON, ['-c', 'import torch, numpy; print(torch.__version__)'], { encoding: 'utf8' });
if (torchVersion.status !== 0) {
  console.log(
    `no PyTorch at ${PYTHON} (set MOTIF_PYTHON, or apt-get install python3-torch): nothing to compare the native engine with`,
  );
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'motif-bench-engines-'));

/** Shards of random ids: `pieces` train pieces of ~3,000 tokens (an ASAP performance's size) and 2 short validation pieces. */
function shards(name, vocabSize, pieces) {
  const out = join(dir, name);
  const tokenizer = `{"bench": "${name}"}\n`;
  const tokPath = join(dir, `${name}-tokenizer.json`);
  writeFileSync(tokPath, tokenizer);
  const writer = new ShardWriter(out, {
    dtype: 'uint16',
    vocabSize,
    tokenizer: { path: tokPath, sha256: createHash('sha256').update(tokenizer).digest('hex') },
    specialIds: { pad: 0, bos: 1, eos: 2, mask: 3 },
    dataset: { root: out, layout: 'folder' },
  });
  const rng = new Rng(7);
  for (const [split, n, length] of [
    ['train', pieces, 3000],
    ['validation', 2, 500],
  ]) {
    for (let i = 0; i < n; i++) {
      const ids = Int32Array.from({ length: length + rng.nextInt(500) }, () => 4 + rng.nextInt(vocabSize - 4));
      writer.add({ id: `${split}/${i}`, path: `${split}-${i}.mid`, kind: 'performance', split }, ids, ids.length / 3);
    }
  }
  writer.finish();
  return out;
}

const presets = [
  { preset: 'tiny', data: shards('v64', 64, 40), steps: Number(opts['steps-tiny']) },
  { preset: 'small', data: shards('v4096', 4096, 40), steps: Number(opts['steps-small']) },
];
const threads = cpus().length;
const engines = [
  { engine: 'native', label: `native, ${threads} threads`, flags: ['--threads', String(threads)] },
  {
    engine: 'torch',
    label: `torch, 1 process × ${threads} threads`,
    flags: ['--engine', 'torch', '--nproc', '1', '--threads', String(threads)],
  },
  {
    engine: 'torch',
    label: `torch DDP, ${threads} processes × 1 thread`,
    flags: ['--engine', 'torch', '--nproc', String(threads), '--threads', '1'],
  },
];

const loadBefore = loadavg()[0];
const rows = [];
for (const p of presets) {
  let native;
  for (const e of engines) {
    const run = join(dir, `${p.preset}-${rows.length}`);
    const t0 = performance.now();
    motif(
      'train',
      '--data',
      p.data,
      '--preset',
      p.preset,
      '--out',
      run,
      '--steps',
      String(p.steps),
      '--eval-interval',
      String(Math.max(1, Math.floor(p.steps / 4))),
      '--snapshots',
      '',
      '--json',
      ...e.flags,
    );
    const wall = (performance.now() - t0) / 1000;
    const records = runMetrics(run)
      .filter((r) => r.tokensPerSec !== undefined)
      .slice(1);
    const tokensPerSec = records.reduce((s, r) => s + r.tokensPerSec, 0) / records.length;
    native ??= tokensPerSec;
    rows.push({
      preset: p.preset,
      steps: p.steps,
      engine: e.label,
      tokens_per_s: Math.round(tokensPerSec),
      vs_native: +(tokensPerSec / native).toFixed(2),
      wall_s: +wall.toFixed(1),
      final_val_loss: +runMetrics(run).at(-1).valLoss.toFixed(4),
    });
  }
}
// The engines must have trained the same model: initial weights (each engine's own generator) and dropout
// masks differ, the architecture, data, schedule and optimizer do not, so the validation losses stay close.
for (const r of rows) {
  const native = rows.find((n) => n.preset === r.preset).final_val_loss;
  if (Math.abs(r.final_val_loss - native) > 0.02 * native)
    throw new Error(`${r.preset}, ${r.engine}: validation loss ${r.final_val_loss} is not native's ${native} (±2%)`);
}
const context = {
  cpus: threads,
  model: cpus()[0]?.model,
  torch: torchVersion.stdout.trim(),
  load_before: +loadBefore.toFixed(2),
  load_after: +loadavg()[0].toFixed(2),
};
rmSync(dir, { recursive: true, force: true });

if (opts.json) console.log(JSON.stringify({ context, rows }, null, 2));
else {
  console.log(
    `${context.model}, ${context.cpus} CPUs, PyTorch ${context.torch}; load average ${context.load_before} before, ${context.load_after} after (above 0: the machine was shared)`,
  );
  const cols = Object.keys(rows[0]);
  console.log(`| ${cols.join(' | ')} |\n|${cols.map(() => ' --- |').join('')}`);
  for (const r of rows) console.log(`| ${cols.map((c) => r[c]).join(' | ')} |`);
}
