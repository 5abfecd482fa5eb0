// End to end on the tiny preset with the real native Transformer: the train and eval verbs, exact
// resume (with dropout), and a run killed with -9 or interrupted with SIGINT in a child process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import * as exportVerb from '../../src/cli/export.js';
import * as perplexity from '../../src/cli/perplexity.js';
import * as trainVerb from '../../src/cli/train.js';
import type { CliIo } from '../../src/cli/output.js';
import { Transformer } from '../../src/model/transformer.js';
import { precisionRecord, resolvePrecision } from '../../src/model/machine-precision.js';
import type { PrecisionRecord } from '../../src/model/precision.js';
import type { EvalResult } from '../../src/run/records.js';
import { CheckpointStore } from '../../src/run/checkpoints.js';
import { openCorpus } from '../../src/train/corpus.js';
import { readMetrics, type MetricsRecord } from '../../src/run/metrics-log.js';
import { MODEL_FILE, snapshotName } from '../../src/run/layout.js';
import { lockDir } from '../../src/util/dir-lock.js';
import { resumeRun, startRun } from '../../src/train/run.js';
import { writeTinyShards } from '../helpers/tiny-shards.js';
import { tempDir } from '../helpers/temp-dir.js';

const base = tempDir('run');
const shards = writeTinyShards(join(base, 'shards'));
const comparable = (records: MetricsRecord[]): unknown[] =>
  records.map(({ elapsed: _e, tokensPerSec: _t, ...rest }) => rest);

async function motif(...args: string[]): Promise<{ out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => void (out += t), err: (t) => void (err += t), progress: false };
  const program = new Command().exitOverride();
  for (const verb of [trainVerb, perplexity, exportVerb]) verb.register(program, { io, exit: () => undefined });
  await program.parseAsync(['node', 'motif', ...args]);
  return { out, err };
}

test('motif train on tiny finishes, and motif eval scores the test split exactly', async () => {
  const run = join(base, 'cli');
  const { out } = await motif(
    'train',
    '--data',
    shards,
    '--preset',
    'tiny',
    '--out',
    run,
    '--epochs',
    '6',
    '--eval-interval',
    '4',
    '--snapshots',
    '0,1,last',
    '--json',
  );
  const outcome = JSON.parse(out) as { status: string; step: number; totalSteps: number; report: string };
  assert.equal(outcome.status, 'finished');
  assert.equal(outcome.step, outcome.totalSteps);
  const epochs = readMetrics(join(run, 'metrics.jsonl')).filter((r) => r.kind === 'epoch');
  assert.deepEqual(
    epochs.map((r) => r.epoch),
    [0, 1, 2, 3, 4, 5, 6],
  );
  assert.ok(
    epochs[6].valLoss! < epochs[0].valLoss! - 0.3,
    `validation loss should fall: ${epochs.map((r) => r.valLoss)}`,
  );
  assert.ok(existsSync(outcome.report));
  assert.deepEqual(readdirSync(join(run, 'snapshots')).sort(), [0, 1, 6].map(snapshotName));
  for (const name of ['config.json', 'tokenizer.json', 'loss.svg', 'perplexity.svg'])
    assert.ok(existsSync(join(run, name)), name);
  const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as {
    train: { epochs: number; lr: number; precision: string };
    git: { revision: string } | null;
    compute: PrecisionRecord;
  };
  assert.equal(config.train.epochs, 6);
  // auto is recorded resolved, with the arithmetic behind it.
  assert.equal(config.train.precision, resolvePrecision('auto'));
  assert.deepEqual(config.compute, precisionRecord(resolvePrecision('auto')));
  if (existsSync('.git')) assert.match(config.git?.revision ?? '', /^[0-9a-f]{40}$/);
  assert.equal(config.train.lr, 0.003, 'the tiny preset sets lr');

  const { out: evalOut } = await motif('eval', '--run', run, '--split', 'test', '--json');
  const r = JSON.parse(evalOut) as EvalResult;
  // Reference: every test piece fits one window, so score each alone, framed and padded, with B = 1.
  const best = new CheckpointStore(run).best()!;
  assert.equal(r.checkpoint, best.path);
  const model = Transformer.load(join(best.path, MODEL_FILE));
  assert.deepEqual(r.compute, config.compute, "eval computes in the run's precision by default");
  model.precision = r.compute!.precision;
  const corpus = openCorpus(shards);
  let lossSum = 0;
  let targets = 0;
  let notes = 0;
  for (const { piece, ids } of corpus.split('test')) {
    const T = 32;
    const tokens = new Int32Array(T);
    tokens.set([1, ...ids, 2]);
    const e = model.evalLoss(tokens, 1, T);
    assert.equal(e.count, ids.length + 1);
    lossSum += e.loss * e.count;
    targets += e.count;
    notes += piece.notes;
  }
  assert.equal(r.targets, targets);
  assert.equal(r.notes, notes);
  assert.ok(Math.abs(r.loss - lossSum / targets) < 1e-5, `${r.loss} vs ${lossSum / targets}`);
  assert.ok(Math.abs(r.perplexity - Math.exp(lossSum / targets)) < 1e-4 * r.perplexity);
  assert.ok(Math.abs(r.bitsPerNote - lossSum / Math.LN2 / notes) < 1e-5 * r.bitsPerNote);
  assert.ok(readFileSync(join(run, 'report.html'), 'utf8').includes('bits per note'));
  assert.ok(
    r.baselines && r.baselines.bigram.loss > 0 && r.baselines.unigram.loss > 0,
    'eval carries the count baselines',
  );
  assert.ok(
    Math.abs(r.baselines.unigram.perplexity - Math.exp(r.baselines.unigram.loss)) <
      1e-9 * r.baselines.unigram.perplexity,
  );
  assert.ok(readFileSync(join(run, 'report.html'), 'utf8').includes('test · bigram baseline'));

  // A snapshot evaluates like a checkpoint: epoch-0 on validation is the loss the run logged before its first step.
  const before = JSON.parse(
    (await motif('eval', '--run', run, '--split', 'validation', '--checkpoint', 'epoch-0', '--json')).out,
  ) as EvalResult;
  assert.equal(before.step, 0);
  assert.ok(Math.abs(before.loss - epochs[0].valLoss!) < 1e-5, `${before.loss} vs ${epochs[0].valLoss}`);
  await assert.rejects(motif('eval', '--run', run, '--checkpoint', 'epoch-5'), /no snapshot of epoch 5/);
  const fp32 = JSON.parse(
    (
      await motif(
        'eval',
        '--run',
        run,
        '--split',
        'validation',
        '--checkpoint',
        'epoch-0',
        '--precision',
        'fp32',
        '--json',
      )
    ).out,
  ) as EvalResult;
  assert.equal(fp32.compute?.precision, 'fp32', "--precision overrides the run's own");
  assert.ok(Math.abs(fp32.loss - before.loss) < 0.01 * before.loss, `${fp32.loss} vs ${before.loss}`);
});

test('--precision fp32 is recorded in the run; a resume refuses another --precision, train an unknown one', async () => {
  const run = join(base, 'fp32');
  await motif('train', '--data', shards, '--preset', 'tiny', '--out', run, '--steps', '4', '--precision', 'fp32');
  const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as { train: { precision: string } };
  assert.equal(config.train.precision, 'fp32');
  await assert.rejects(motif('train', '--resume', run, '--precision', 'bf16'), /its precision too/);
  await assert.rejects(
    motif('train', '--data', shards, '--preset', 'tiny', '--out', join(base, 'bad-precision'), '--precision', 'fp16'),
    /Allowed choices are auto, fp32, bf16/,
  );
});

// Dropout on, so the resumed run must also restore the step that seeds the dropout masks.
const exactArgs = {
  data: shards,
  preset: 'tiny',
  model: { dropout: 0.1 },
  train: { epochs: 4, evalInterval: 3, checkpointInterval: 5, seed: 7 },
};

test('an interrupted-and-resumed tiny run has the loss curve of the uninterrupted one', async () => {
  const whole = await startRun({ ...exactArgs, out: join(base, 'whole') });
  assert.equal(whole.result.status, 'finished');
  const first = await startRun({ ...exactArgs, out: join(base, 'parts') }, { stopAtStep: 6 });
  assert.equal(first.result.status, 'stopped');
  const second = await resumeRun(join(base, 'parts'));
  assert.equal(second.result.status, 'finished');
  const expected = comparable(readMetrics(join(base, 'whole', 'metrics.jsonl')));
  assert.ok(expected.length > 6);
  assert.deepEqual(comparable(readMetrics(join(base, 'parts', 'metrics.jsonl'))), expected);
});

test('a start that fails before its first checkpoint leaves no half-made run: the same command can be retried', async () => {
  const run = join(base, 'failed-start');
  const boom = (): void => {
    throw new Error('disk full (simulated)');
  };
  await assert.rejects(startRun({ ...exactArgs, out: run }, { onRecord: boom }), /disk full/);
  assert.equal(existsSync(run), false);
  assert.equal((await startRun({ ...exactArgs, out: run }, { stopAtStep: 2 })).result.step, 2);
  // Once a checkpoint exists, a failure keeps the run (it can be resumed).
  await assert.rejects(resumeRun(run, { onRecord: boom }), /disk full/);
  assert.ok(existsSync(join(run, 'config.json')));
});

test('a run being trained is locked: a second resume of it is refused and leaves it untouched', async () => {
  const run = join(base, 'locked');
  await startRun({ ...exactArgs, out: run }, { stopAtStep: 3 });
  const metrics = readFileSync(join(run, 'metrics.jsonl'), 'utf8');
  const release = lockDir(run); // stands for another process training it
  await assert.rejects(resumeRun(run), (err: Error) =>
    err.message.startsWith(`${run}: in use by process ${process.pid}`),
  );
  assert.equal(readFileSync(join(run, 'metrics.jsonl'), 'utf8'), metrics);
  release();
  assert.equal((await resumeRun(run, { stopAtStep: 5 })).result.step, 5);
  assert.equal(existsSync(join(run, '.lock')), false, 'released after the run');
});

/** Starts `motif train` in a child; resolves once a checkpoint past step `minStep` exists. */
async function childRun(
  out: string,
  minStep: number,
): Promise<{ child: ReturnType<typeof spawn>; exit: Promise<number | null>; stdout: () => string }> {
  const args = [
    '--import',
    'tsx',
    'test/train/fixtures/train-cli.ts',
    'train',
    '--data',
    shards,
    '--preset',
    'tiny',
    '--out',
    out,
    '--dropout',
    '0.1',
    '--epochs',
    '100000',
    '--eval-interval',
    '3',
    '--checkpoint-interval',
    '5',
    '--seed',
    '7',
    '--no-progress',
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let exited = false;
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exit = new Promise<number | null>((res) => child.on('exit', (code) => ((exited = true), res(code))));
  const store = join(out, 'checkpoints');
  for (let i = 0; i < 2400 && !exited; i++) {
    if (existsSync(store) && new CheckpointStore(out).steps().some((s) => s >= minStep))
      return { child, exit, stdout: () => stdout };
    await sleep(25);
  }
  if (exited) throw new Error(`the child run ended early: ${stderr}`);
  child.kill('SIGKILL');
  throw new Error('the child run made no checkpoint in 60 s');
}

/** The metrics of an uninterrupted run with childRun's settings, stopped at `step`. */
async function reference(step: number, name: string): Promise<unknown[]> {
  await startRun(
    { ...exactArgs, train: { ...exactArgs.train, epochs: 100000 }, out: join(base, name) },
    { stopAtStep: step },
  );
  return comparable(readMetrics(join(base, name, 'metrics.jsonl')));
}

test('kill -9 loses at most one checkpoint interval and never corrupts the run', async () => {
  const out = join(base, 'killed');
  const { child, exit } = await childRun(out, 10);
  child.kill('SIGKILL');
  await exit;
  const store = new CheckpointStore(out);
  store.cleanStale();
  for (const step of store.steps()) {
    for (const f of [MODEL_FILE, 'trainer.json'])
      assert.ok(existsSync(join(store.path(step), f)), `checkpoint ${step} lacks ${f}`);
  }
  const last = Math.max(...store.steps());
  const resumed = await resumeRun(out, { stopAtStep: last + 7 });
  assert.equal(resumed.result.step, last + 7);
  assert.deepEqual(comparable(readMetrics(join(out, 'metrics.jsonl'))), await reference(last + 7, 'ref-kill'));
});

test('SIGINT saves a checkpoint at the current step and exits cleanly', async () => {
  const out = join(base, 'sigint');
  const { child, exit, stdout } = await childRun(out, 5);
  child.kill('SIGINT');
  assert.equal(await exit, 130);
  assert.match(stdout(), /interrupted; checkpoint saved/);
  const store = new CheckpointStore(out);
  const last = Math.max(...store.steps());
  const state = JSON.parse(readFileSync(join(store.path(last), 'trainer.json'), 'utf8')) as { step: number };
  assert.equal(state.step, last);
  const records = readMetrics(join(out, 'metrics.jsonl'));
  assert.ok(records[records.length - 1].step <= last);
  await resumeRun(out, { stopAtStep: last + 4 });
  assert.deepEqual(comparable(readMetrics(join(out, 'metrics.jsonl'))), await reference(last + 4, 'ref-int'));
});

test('SIGHUP (a closed terminal) checkpoints like SIGINT', async () => {
  const out = join(base, 'sighup');
  const { child, exit, stdout } = await childRun(out, 5);
  child.kill('SIGHUP');
  assert.equal(await exit, 130);
  assert.match(stdout(), /interrupted; checkpoint saved/);
});

test('every train flag lands in the run config; --resume refuses new settings', async () => {
  const run = join(base, 'flags');
  await motif(
    'train',
    '--data',
    shards,
    '--preset',
    'tiny',
    '--out',
    run,
    '--epochs',
    '1',
    '--batch',
    '3',
    '--seq',
    '20',
    '--lr',
    '0.002',
    '--l1',
    '0.0001',
    '--dropout',
    '0.2',
    '--weight-decay',
    '0.02',
    '--clip',
    '0.5',
    '--warmup',
    '0.4',
    '--seed',
    '9',
    '--threads',
    '1',
    '--eval-interval',
    '2',
    '--checkpoint-interval',
    '3',
    '--keep',
    '2',
    '--snapshots',
    '1,last',
    '--max-minutes',
    '5',
    '--json',
  );
  const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as {
    train: Record<string, unknown>;
    model: Record<string, unknown>;
  };
  assert.deepEqual(
    { ...config.train },
    {
      ...config.train,
      epochs: 1,
      batchSize: 3,
      seqLen: 20,
      lr: 0.002,
      l1: 0.0001,
      weightDecay: 0.02,
      clipNorm: 0.5,
      pctStart: 0.4,
      seed: 9,
      threads: 1,
      evalInterval: 2,
      checkpointInterval: 3,
      keepCheckpoints: 2,
      snapshotEpochs: [1, 'last'],
      maxMinutes: 5,
    },
  );
  assert.equal(config.model.dropout, 0.2);
  await assert.rejects(motif('train', '--resume', run, '--lr', '0.1'), /only --max-minutes/);
  await assert.rejects(motif('train', '--data', shards, '--preset', 'tiny', '--out', run), /already holds a run/);
  await assert.rejects(
    motif('train', '--data', shards, '--preset', 'tiny', '--out', join(base, 'long'), '--seq', '100'),
    /exceeds the model's maxLen 64/,
  );
});

test('a --config file overrides the preset and flags override the file', async () => {
  const file = join(base, 'run-config.json');
  writeFileSync(
    file,
    JSON.stringify({ model: { dropout: 0.3, dModel: 16 }, train: { lr: 0.01, epochs: 2, batchSize: 2 } }),
  );
  const run = join(base, 'configured');
  const r = await startRun(
    { data: shards, preset: 'tiny', out: run, configFile: file, train: { lr: 0.02 } },
    { stopAtStep: 1 },
  );
  assert.equal(r.result.step, 1);
  const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as {
    train: Record<string, unknown>;
    model: Record<string, unknown>;
  };
  assert.deepEqual([config.model.dropout, config.model.dModel, config.model.nLayers], [0.3, 16, 2]);
  assert.deepEqual(
    [config.train.lr, config.train.epochs, config.train.batchSize, config.train.seqLen],
    [0.02, 2, 2, 32],
  );
  writeFileSync(file, JSON.stringify({ optimizer: {} }));
  await assert.rejects(
    startRun({ data: shards, preset: 'tiny', out: join(base, 'bad'), configFile: file }),
    /"model" and\/or "train" sections/,
  );
});

test('--steps sizes the schedule to exactly that many steps and ends with a validation and a checkpoint mid-epoch', async () => {
  const run = join(base, 'steps');
  const { out } = await motif('train', '--data', shards, '--preset', 'tiny', '--out', run, '--steps', '7', '--json');
  const outcome = JSON.parse(out) as { status: string; step: number; totalSteps: number; epochsDone: number };
  assert.deepEqual([outcome.status, outcome.step, outcome.totalSteps], ['finished', 7, 7]);
  const records = readMetrics(join(run, 'metrics.jsonl'));
  const last = records.at(-1)!;
  assert.equal(last.step, 7);
  assert.ok(
    last.valLoss !== undefined && last.kind === 'step' && last.epoch % 1 !== 0,
    `a mid-epoch validation ends the run: ${JSON.stringify(last)}`,
  );
  // The one-cycle schedule spans the 7 steps: the last step runs at its final, smallest rate.
  assert.ok(last.lr! < 0.003 / 25, `final lr ${last.lr}`);
  assert.ok(new CheckpointStore(run).steps().includes(7));
});
