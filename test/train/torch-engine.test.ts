// The PyTorch engine (python/train_torch.py, through `motif train --engine torch` and through torchrun) held
// to the native trainer: three steps from the same weights on the same batches give the same losses and
// parameters, and native continues them as its own; two gloo processes split every batch of the native
// window stream, resume exactly, and leave a run that `motif eval` scores as PyTorch logged. Skips visibly
// without Debian's python3-torch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { motif } from '../helpers/cli.js';
import { expectClose } from '../helpers/close.js';
import { PYTHON, torchSkip } from '../helpers/torch.js';
import { lockDir } from '../../src/util/dir-lock.js';
import { loadPreset } from '../../src/model/config.js';
import { readSafetensors } from '../../src/model/safetensors.js';
import { TrainWindows } from '../../src/train/batches.js';
import { CheckpointStore } from '../../src/run/checkpoints.js';
import { openCorpus } from '../../src/train/corpus.js';
import { readMetrics, type MetricsRecord } from '../../src/run/metrics-log.js';
import { MODEL_FILE } from '../../src/run/layout.js';
import { resumeRun, startRun } from '../../src/train/run.js';
import { TORCH_TRAINER, torchrunArgs } from '../../src/train/torch-engine.js';
import type { TrainResult } from '../../src/train/trainer.js';
import { writeTinyShards } from '../helpers/tiny-shards.js';
import { tempDir } from '../helpers/temp-dir.js';

const base = tempDir('torch-engine');
const shards = writeTinyShards(join(base, 'shards'));
process.env.MOTIF_PYTHON = PYTHON; // the engine's own search would take a python3 on PATH first
const writeConfig = (name: string, config: object): string => {
  const path = join(base, name);
  writeFileSync(path, JSON.stringify(config));
  return path;
};
const metrics = (run: string): MetricsRecord[] => readMetrics(join(run, 'metrics.jsonl'));
const trainerState = (checkpoint: string): { rng: number[]; step: number } =>
  JSON.parse(readFileSync(join(checkpoint, 'trainer.json'), 'utf8')) as { rng: number[]; step: number };
const tensors = (checkpoint: string) => readSafetensors(join(checkpoint, MODEL_FILE)).tensors;
const maxAbs = (x: ArrayLike<number>): number => Array.from(x).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** Runs `a` and `b` logged the same records, sampler state, parameters and AdamW moments up to `step` (fp32, 1e-4). */
function expectSameSteps(a: string, b: string, step: number): void {
  const [ours, theirs] = [metrics(a), metrics(b)];
  const steps = Array.from({ length: step + 1 }, (_, i) => i);
  assert.deepEqual(
    ours.map((m) => m.step),
    steps,
  );
  assert.deepEqual(
    theirs.map((m) => m.step),
    steps,
  );
  for (const key of ['trainLoss', 'gradNorm', 'lr', 'valLoss'] as const) {
    expectClose(
      ours.slice(1).map((m) => m[key]!),
      theirs.slice(1).map((m) => m[key]!),
      { rtol: 1e-4, atol: 0, label: key },
    );
  }
  const [x, y] = [new CheckpointStore(a).path(step), new CheckpointStore(b).path(step)];
  assert.deepEqual(trainerState(x).rng, trainerState(y).rng, 'the sampler drew the same windows');
  const [after, expected] = [tensors(x), tensors(y)];
  const C = loadPreset('tiny').model.dModel;
  assert.deepEqual([...after.keys()].sort(), [...expected.keys()].sort());
  for (const [name, t] of expected) {
    // The key bias (rows C..2C of in_proj_bias) shifts every score of a query's row alike, so softmax cancels
    // it and its true gradient is 0; AdamW normalises each engine's own rounding noise there into lr-sized
    // steps of random sign. Everything else, parameters and AdamW moments, must agree.
    const keep = name.endsWith('in_proj_bias') ? (_: number, i: number) => i < C || i >= 2 * C : () => true;
    const [got, want] = [after.get(name)!.data.filter(keep), t.data.filter(keep)];
    expectClose(got, want, { rtol: 1e-4, atol: 1e-4 * maxAbs(want), label: `step ${step} ${name}` });
  }
}

test(
  'from the same weights and batches, three PyTorch steps equal three native steps (fp32, 1e-4), and native resumes them',
  { skip: torchSkip },
  async () => {
    // Weight decay, the mean-form L1 and a clip that acts on every step: each optimizer path in play.
    const config = writeConfig('same-steps.json', {
      train: {
        steps: 6,
        evalInterval: 1,
        keepCheckpoints: 10,
        threads: 1,
        weightDecay: 0.1,
        l1: 0.5,
        l1Form: 'mean',
        clipNorm: 0.5,
        precision: 'fp32',
      },
    });
    const native = join(base, 'native');
    await startRun({ data: shards, preset: 'tiny', out: native, configFile: config }, { stopAtStep: 3 });
    // The PyTorch run starts from the native run's step-0 checkpoint: its weights, its zero moments, its sampler state.
    const torch = join(base, 'torch-from-native');
    mkdirSync(join(torch, 'checkpoints'), { recursive: true });
    for (const f of ['config.json', 'tokenizer.json', 'metrics.jsonl']) cpSync(join(native, f), join(torch, f));
    cpSync(new CheckpointStore(native).path(0), new CheckpointStore(torch).path(0), { recursive: true });
    const r = await motif('train', '--engine', 'torch', '--resume', torch, '--max-steps', '3', '--json');
    assert.equal(r.code, 0, r.err);
    assert.equal((JSON.parse(r.out) as TrainResult).status, 'stopped');

    expectSameSteps(torch, native, 3);

    // Asked again to stop at step 3, the PyTorch engine stops where it is, as native does.
    const again = await motif('train', '--engine', 'torch', '--resume', torch, '--max-steps', '3', '--json');
    assert.deepEqual([again.code, (JSON.parse(again.out) as TrainResult).step], [0, 3], again.err);
    // And back: the native engine resumes the run PyTorch left at step 3, and steps 4 to 6 follow the all-native run's.
    await resumeRun(native);
    await resumeRun(torch);
    expectSameSteps(torch, native, 6);

    // One writer at a time, across languages: the Python trainer honours the lock motif takes.
    const unlock = lockDir(torch);
    try {
      const busy = await motif('train', '--engine', 'torch', '--resume', torch, '--json');
      assert.equal(busy.code, 1);
      assert.match(busy.err, new RegExp(`in use by process ${process.pid}`));
    } finally {
      unlock();
    }
  },
);

test(
  'torchrun, 2 gloo processes, tiny preset, 20 steps: loss falls, disjoint windows, exact resume, motif eval agrees',
  { skip: torchSkip },
  async () => {
    const config = writeConfig('ddp.json', {
      model: { dropout: 0.1 },
      train: { steps: 20, evalInterval: 5, checkpointInterval: 5, threads: 1 },
    });
    // A straight run as a cluster job starts it: torchrun on the script, no motif around it.
    const straight = join(base, 'ddp-straight');
    const windowsLog = join(base, 'ddp-windows');
    const job = spawnSync(
      PYTHON,
      [
        ...torchrunArgs(2, join(base, 'torchrun-logs')),
        TORCH_TRAINER,
        '--data',
        shards,
        '--preset',
        'tiny',
        '--config',
        config,
        '--out',
        straight,
        '--log-windows',
        windowsLog,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(job.status, 0, job.stderr);
    const records = metrics(straight);
    const vals = records.map((m) => m.valLoss!);
    assert.ok(vals.at(-1)! < vals[0] - 0.2, `validation loss should fall: ${vals.join(' ')}`);

    // Every step's batch of 4 is the native stream's next 4 windows, 2 per rank, the ranks' halves disjoint.
    const corpus = openCorpus(shards);
    const train = corpus.split('train');
    const reference = new TrainWindows(
      train.map((p) => p.ids),
      corpus.framing,
      32,
      1,
    );
    const expected = Array.from({ length: 80 }, () => reference.draw()).map((w) => ({
      piece: train[w.piece].piece.id,
      start: w.start,
    }));
    const seen = [0, 1].map((rank) =>
      readFileSync(join(windowsLog, `rank-${rank}.jsonl`), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { step: number; draw: number; piece: string; start: number }),
    );
    for (const [rank, windows] of seen.entries()) {
      assert.equal(windows.length, 40, `rank ${rank}: 2 windows in each of 20 steps`);
      for (const w of windows) {
        assert.equal(Math.floor(w.draw / 4), w.step - 1, `rank ${rank}: draw ${w.draw} belongs to step ${w.step}`);
        assert.deepEqual(
          { piece: w.piece, start: w.start },
          expected[w.draw],
          `rank ${rank}: draw ${w.draw} is the native stream's`,
        );
      }
    }
    const draws = seen.map((windows) => new Set(windows.map((w) => w.draw)));
    assert.equal([...draws[0]].filter((d) => draws[1].has(d)).length, 0, 'no window trained on by both ranks');
    assert.equal(
      new Set([...draws[0], ...draws[1]]).size,
      80,
      'together the ranks train on every window of the stream',
    );

    // The same run through motif, stopped at step 10 and resumed: the same records and weights, bit for bit.
    const resumed = join(base, 'ddp-resumed');
    const first = await motif(
      'train',
      '--engine',
      'torch',
      '--nproc',
      '2',
      '--data',
      shards,
      '--preset',
      'tiny',
      '--config',
      config,
      '--out',
      resumed,
      '--max-steps',
      '10',
      '--json',
    );
    assert.equal(first.code, 0, first.err);
    assert.equal((JSON.parse(first.out) as TrainResult).step, 10);
    const second = await motif('train', '--engine', 'torch', '--nproc', '2', '--resume', resumed, '--json');
    assert.equal(second.code, 0, second.err);
    assert.equal((JSON.parse(second.out) as TrainResult).status, 'finished');
    const comparable = (rs: MetricsRecord[]) => rs.map(({ elapsed: _e, tokensPerSec: _t, ...rest }) => rest);
    assert.deepEqual(comparable(metrics(resumed)), comparable(records));
    const [x, y] = [tensors(new CheckpointStore(resumed).path(20)), tensors(new CheckpointStore(straight).path(20))];
    for (const [name, t] of y) assert.deepEqual(x.get(name)!.data, t.data, name);
    // motif made one run's config.json and the script the other's: the same run.
    const settings = (run: string) => {
      const {
        model,
        train: options,
        preset,
        data,
        tokenizer,
      } = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as Record<string, unknown>;
      return { model, options, preset, data, tokenizer };
    };
    assert.deepEqual(settings(straight), settings(resumed));

    const evaluated = await motif('eval', '--run', straight, '--split', 'validation', '--checkpoint', 'last', '--json');
    assert.equal(evaluated.code, 0, evaluated.err);
    const e = JSON.parse(evaluated.out) as { loss: number; step: number };
    assert.equal(e.step, 20);
    expectClose(e.loss, records.at(-1)!.valLoss!, {
      rtol: 1e-5,
      label: 'motif eval vs the validation loss PyTorch logged',
    });
  },
);

test('the torch engine says what to install where PyTorch is missing, and leaves no run folder behind', async () => {
  const fake = join(base, 'python-without-torch');
  writeFileSync(fake, '#!/bin/sh\necho "ModuleNotFoundError: No module named \'torch\'" >&2\nexit 1\n');
  chmodSync(fake, 0o755);
  const saved = process.env.MOTIF_PYTHON;
  process.env.MOTIF_PYTHON = fake;
  try {
    const out = join(base, 'no-torch');
    const r = await motif('train', '--engine', 'torch', '--data', shards, '--preset', 'tiny', '--out', out);
    assert.equal(r.code, 1);
    assert.match(r.err, /python3-torch/);
    assert.match(r.err, /pip install torch numpy/);
    assert.ok(r.err.includes(fake), 'names the Python it tried');
    assert.ok(!existsSync(out), 'a start that trained nothing keeps no folder');
  } finally {
    process.env.MOTIF_PYTHON = saved;
  }
  const misuse = await motif('train', '--nproc', '2', '--data', shards, '--out', join(base, 'misuse'));
  assert.equal(misuse.code, 1);
  assert.match(misuse.err, /--nproc is a setting of the torch engine; add --engine torch/);
});
