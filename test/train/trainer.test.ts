import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveTrainOptions, type TrainOptions } from '../../src/run/train-options.js';
import { readMetrics, type MetricsRecord } from '../../src/run/metrics-log.js';
import { train, type LrSchedule, type ModelSource, type TrainData } from '../../src/train/trainer.js';
import { snapshotName } from '../../src/run/layout.js';
import { CheckpointStore } from '../../src/run/checkpoints.js';
import { Rng } from '../../src/util/rng.js';
import { bigramSource, type BigramModel } from '../helpers/bigram-model.js';
import { tempDir } from '../helpers/temp-dir.js';

const V = 12;
// Pieces from a fixed Markov-ish pattern plus noise, so a bigram model can learn something.
function makePieces(n: number, seed: number): Int32Array[] {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => {
    const len = 5 + r.nextInt(40);
    let x = 3 + r.nextInt(V - 3);
    return Int32Array.from(
      { length: len },
      () => (x = r.nextFloat() < 0.8 ? 3 + ((x - 3 + 1) % (V - 3)) : 3 + r.nextInt(V - 3)),
    );
  });
}
const data: TrainData = {
  train: makePieces(30, 1),
  validation: makePieces(6, 2),
  framing: { padId: 0, bosId: 1, eosId: 2 },
};
const schedule: LrSchedule = (step, total) => 0.5 * (1 - step / total) + 0.05;
const opts = (o: Partial<TrainOptions> = {}): TrainOptions =>
  resolveTrainOptions(
    {
      batchSize: 4,
      seqLen: 9,
      epochs: 3,
      evalInterval: 5,
      checkpointInterval: 7,
      keepCheckpoints: 2,
      snapshotEpochs: [0, 2, 'last'],
    },
    o,
  );
const fresh = (): string => tempDir('train');
/** A bigram source whose every created model first goes through `patch` (to count calls or inject faults). */
const patchedSource = (patch: (m: BigramModel) => void): ModelSource<BigramModel> => {
  const source = bigramSource(V, 0);
  return {
    ...source,
    create: () => {
      const m = source.create();
      patch(m);
      return m;
    },
  };
};
// Fields that are measured, not computed, and so differ between runs.
const comparable = (records: MetricsRecord[]): unknown[] =>
  records.map(({ elapsed: _e, tokensPerSec: _t, ...rest }) => rest);

test('a run records every epoch, uses the schedule, keeps K checkpoints plus the best, and snapshots the chosen epochs', async () => {
  const run = fresh();
  const o = opts({ evalInterval: 1 });
  const result = await train({ runDir: run, options: o, data, models: bigramSource(V, 0), schedule });
  assert.equal(result.status, 'finished');
  assert.equal(result.step, result.totalSteps);
  const records = readMetrics(join(run, 'metrics.jsonl'));
  const epochs = records.filter((r) => r.kind === 'epoch');
  assert.deepEqual(
    epochs.map((r) => r.epoch),
    [0, 1, 2, 3],
  );
  assert.equal(epochs[0].trainLoss, undefined);
  for (const r of records) {
    assert.ok(r.valLoss! > 0 && Math.abs(r.valPerplexity! - Math.exp(r.valLoss!)) < 1e-9 * r.valPerplexity!);
    // The learning rate recorded at a step is the schedule's for that (0-based) step.
    if (r.step > 0) assert.equal(r.lr, schedule(r.step - 1, result.totalSteps));
  }
  assert.ok(epochs[3].valLoss! < epochs[0].valLoss!, 'validation loss should fall');
  assert.equal(records.filter((r) => r.kind === 'step').length + epochs.length - 1, result.totalSteps);

  const ckpts = readdirSync(join(run, 'checkpoints')).filter((n) => n.startsWith('step-'));
  const best = JSON.parse(readFileSync(join(run, 'checkpoints', 'best.json'), 'utf8')) as {
    step: number;
    valLoss: number;
  };
  assert.equal(best.valLoss, Math.min(...records.map((r) => r.valLoss!)));
  assert.ok(ckpts.includes(`step-${String(best.step).padStart(8, '0')}`));
  assert.ok(ckpts.length <= 3, `kept ${ckpts}`);
  assert.deepEqual(readdirSync(join(run, 'snapshots')).sort(), [0, 2, 3].map(snapshotName));
  const snap = JSON.parse(readFileSync(join(run, 'snapshots', snapshotName(2), 'snapshot.json'), 'utf8')) as {
    valLoss: number;
  };
  assert.equal(snap.valLoss, epochs[2].valLoss);
});

test('an interrupted and resumed run produces exactly the metrics of an uninterrupted one', async () => {
  const whole = fresh();
  await train({ runDir: whole, options: opts(), data, models: bigramSource(V, 0), schedule });
  const expected = comparable(readMetrics(join(whole, 'metrics.jsonl')));

  const parts = fresh();
  const first = await train({
    runDir: parts,
    options: opts(),
    data,
    models: bigramSource(V, 0),
    schedule,
    stopAtStep: 11,
  });
  assert.equal(first.status, 'stopped');
  assert.equal(first.step, 11);
  // A kill -9 after the checkpoint loses later records; a torn line is what it leaves.
  appendFileSync(join(parts, 'metrics.jsonl'), '{"kind":"step","step":12,"tor');
  // Resumed with the same stop step, it stops where it is (motif train --max-steps n, repeated).
  const again = await train({
    runDir: parts,
    options: opts(),
    data,
    models: bigramSource(V, 0),
    schedule,
    resume: true,
    stopAtStep: 11,
  });
  assert.deepEqual([again.status, again.step], ['stopped', 11]);
  const source = bigramSource(V, 0);
  const second = await train({ runDir: parts, options: opts(), data, models: source, schedule, resume: true });
  assert.equal(second.status, 'finished');
  assert.equal(source.loads.length, 1);
  assert.deepEqual(comparable(readMetrics(join(parts, 'metrics.jsonl'))), expected);
});

test('resuming from an older checkpoint (kill -9 after it) repeats the lost steps identically', async () => {
  const whole = fresh();
  await train({ runDir: whole, options: opts(), data, models: bigramSource(V, 0), schedule });
  const parts = fresh();
  // checkpointInterval 7 and stopAtStep 7: the last checkpoint is step 7; steps up to 13 are then "lost".
  await train({ runDir: parts, options: opts(), data, models: bigramSource(V, 0), schedule, stopAtStep: 7 });
  appendFileSync(
    join(parts, 'metrics.jsonl'),
    JSON.stringify({ kind: 'step', step: 10, epoch: 0.9, valLoss: 99, elapsed: 1 }) + '\n',
  );
  await train({ runDir: parts, options: opts(), data, models: bigramSource(V, 0), schedule, resume: true });
  assert.deepEqual(
    comparable(readMetrics(join(parts, 'metrics.jsonl'))),
    comparable(readMetrics(join(whole, 'metrics.jsonl'))),
  );
});

test('a damaged newest checkpoint is set aside with a warning and the run resumes from the one before, identically', async () => {
  const whole = fresh();
  await train({ runDir: whole, options: opts(), data, models: bigramSource(V, 0), schedule });
  const parts = fresh();
  const first = await train({
    runDir: parts,
    options: opts(),
    data,
    models: bigramSource(V, 0),
    schedule,
    stopAtStep: 11,
  });
  writeFileSync(join(first.checkpoint, 'trainer.json'), '{"step": 1'); // cut short
  const warnings: string[] = [];
  const source = bigramSource(V, 0);
  const r = await train({
    runDir: parts,
    options: opts(),
    data,
    models: source,
    schedule,
    resume: true,
    onWarning: (m) => warnings.push(m),
  });
  assert.equal(r.status, 'finished');
  assert.equal(warnings.length, 1);
  assert.ok(warnings[0].startsWith(first.checkpoint) && warnings[0].includes('damaged'), warnings[0]);
  assert.ok(existsSync(`${first.checkpoint}.damaged`), 'kept for inspection');
  assert.equal(source.loads.length, 1);
  assert.notEqual(source.loads[0], first.checkpoint);
  assert.deepEqual(
    comparable(readMetrics(join(parts, 'metrics.jsonl'))),
    comparable(readMetrics(join(whole, 'metrics.jsonl'))),
  );
  assert.deepEqual(
    readFileSync(join(parts, 'checkpoints', 'best.json'), 'utf8'),
    readFileSync(join(whole, 'checkpoints', 'best.json'), 'utf8'),
  );
});

test('an aborted signal (Ctrl-C) checkpoints after the current step and returns', async () => {
  const run = fresh();
  const ctl = new AbortController();
  let steps = 0;
  const models = patchedSource((m) => {
    const step = m.trainStep.bind(m);
    m.trainStep = (...a) => (++steps === 4 && ctl.abort(), step(...a));
  });
  const r = await train({
    runDir: run,
    options: opts({ checkpointInterval: 0, evalInterval: 0 }),
    data,
    models,
    schedule,
    signal: ctl.signal,
  });
  assert.equal(r.status, 'interrupted');
  assert.equal(r.step, 4);
  assert.ok(existsSync(join(r.checkpoint, 'trainer.json')));
  assert.equal((JSON.parse(readFileSync(join(r.checkpoint, 'trainer.json'), 'utf8')) as { step: number }).step, 4);
});

test('the event loop runs during a validation, so a Ctrl-C (and a second one, which quits) is heard in it', async () => {
  let evalCalls = 0;
  let ticked = false;
  let heardDuringValidation = false;
  const models = patchedSource((m) => {
    const evalLoss = m.evalLoss.bind(m);
    m.evalLoss = (...a) => {
      if (++evalCalls === 1) setImmediate(() => (ticked = true));
      else if (evalCalls === 3) heardDuringValidation = ticked;
      return evalLoss(...a);
    };
  });
  await train({ runDir: fresh(), options: opts({ epochs: 1 }), data, models, schedule });
  assert.ok(evalCalls >= 3, `validation took ${evalCalls} batches`);
  assert.ok(heardDuringValidation, 'a callback queued at the first validation batch ran before the third');
});

test('fault injection: a kill between any two writes of a checkpoint, resumed, gives the uninterrupted run', async () => {
  const whole = fresh();
  await train({ runDir: whole, options: opts(), data, models: bigramSource(V, 0), schedule });
  const steps = (dir: string): string[] =>
    readdirSync(join(dir, 'checkpoints')).filter((n) => n.startsWith('step-') && !n.endsWith('.damaged'));
  const killed = new Error('killed (injected)');
  // Where the kill lands: inside the commit (before the model, between model and trainer state), after the
  // commit's rename (before the best pointer), and after the pointer (before rotation).
  const faults = ['before-model', 'between-model-and-state', 'after-commit', 'after-pointer'] as const;
  for (const fault of faults) {
    for (const nth of [2, 4]) {
      const run = fresh();
      let checkpoints = 0;
      const models = patchedSource((m) => {
        const save = m.save.bind(m);
        m.save = (dir, withOptimizer) => {
          if (!withOptimizer) return save(dir, withOptimizer); // snapshots are not checkpoints
          checkpoints++;
          if (checkpoints === nth && fault === 'before-model') throw killed;
          save(dir, withOptimizer);
          if (checkpoints === nth && fault === 'between-model-and-state') throw killed;
        };
      });
      const { commit, rotate } = CheckpointStore.prototype;
      CheckpointStore.prototype.commit = function (this: CheckpointStore, ...a: Parameters<typeof commit>) {
        const path = commit.apply(this, a);
        if (checkpoints === nth && fault === 'after-commit') throw killed;
        return path;
      };
      CheckpointStore.prototype.rotate = function (this: CheckpointStore, ...a: Parameters<typeof rotate>) {
        if (checkpoints === nth && fault === 'after-pointer') throw killed;
        rotate.apply(this, a);
      };
      try {
        await assert.rejects(train({ runDir: run, options: opts(), data, models, schedule }), killed);
      } finally {
        Object.assign(CheckpointStore.prototype, { commit, rotate });
      }
      const r = await train({ runDir: run, options: opts(), data, models: bigramSource(V, 0), schedule, resume: true });
      const label = `${fault} at checkpoint ${nth}`;
      assert.equal(r.status, 'finished', label);
      assert.deepEqual(
        comparable(readMetrics(join(run, 'metrics.jsonl'))),
        comparable(readMetrics(join(whole, 'metrics.jsonl'))),
        label,
      );
      assert.equal(
        readFileSync(join(run, 'checkpoints', 'best.json'), 'utf8'),
        readFileSync(join(whole, 'checkpoints', 'best.json'), 'utf8'),
        label,
      );
      assert.deepEqual(steps(run), steps(whole), label);
      assert.deepEqual(
        readdirSync(join(run, 'checkpoints')).filter((n) => n.includes('.tmp-')),
        [],
        `${label}: no temp left`,
      );
    }
  }
});

test('resuming a run killed before its first checkpoint starts it over', async () => {
  const whole = fresh();
  await train({ runDir: whole, options: opts(), data, models: bigramSource(V, 0), schedule });
  const killed = fresh();
  appendFileSync(join(killed, 'metrics.jsonl'), '{"kind":"epoch","step":0,"epo');
  const r = await train({ runDir: killed, options: opts(), data, models: bigramSource(V, 0), schedule, resume: true });
  assert.equal(r.status, 'finished');
  assert.deepEqual(
    comparable(readMetrics(join(killed, 'metrics.jsonl'))),
    comparable(readMetrics(join(whole, 'metrics.jsonl'))),
  );
});

test('a kill between a checkpoint and its best pointer: resume points at the true best and rotation never deletes it', async () => {
  // Learning, then gradient ascent to make validation worse: the best is mid-run, so no
  // later improvement would mend a stale pointer by itself.
  const rising: LrSchedule = (step) => (step < 12 ? 0.5 : -0.5); // ascent after step 12
  const o = opts({ evalInterval: 1, checkpointInterval: 0, keepCheckpoints: 1, snapshotEpochs: [] });
  const whole = fresh();
  const ref = await train({ runDir: whole, options: o, data, models: bigramSource(V, 0), schedule: rising });
  const best = JSON.parse(readFileSync(join(whole, 'checkpoints', 'best.json'), 'utf8')) as {
    step: number;
    valLoss: number;
  };
  assert.ok(
    best.step > 1 && best.step < ref.totalSteps - 3,
    `the best is mid-run: step ${best.step} of ${ref.totalSteps}`,
  );

  const parts = fresh();
  // Kept checkpoints do not change training; more are kept here so that an older one is there to be named.
  await train({
    runDir: parts,
    options: { ...o, keepCheckpoints: 3 },
    data,
    models: bigramSource(V, 0),
    schedule: rising,
    stopAtStep: best.step,
  });
  // The state a kill right after committing step best.step leaves: the pointer still names the previous best.
  const pointer = join(parts, 'checkpoints', 'best.json');
  const previous = readdirSync(join(parts, 'checkpoints'))
    .filter((n) => n.startsWith('step-'))
    .map((n) => Number(n.slice(5)))
    .find((s) => s < best.step);
  assert.ok(previous !== undefined, 'an older checkpoint is still there to be wrongly named');
  writeFileSync(
    pointer,
    JSON.stringify({ step: previous, checkpoint: `step-${String(previous).padStart(8, '0')}`, valLoss: 1 }) + '\n',
  );
  await train({ runDir: parts, options: o, data, models: bigramSource(V, 0), schedule: rising, resume: true });
  const after = JSON.parse(readFileSync(pointer, 'utf8')) as { step: number; valLoss: number };
  assert.deepEqual([after.step, after.valLoss], [best.step, best.valLoss]);
  assert.ok(
    existsSync(join(parts, 'checkpoints', `step-${String(best.step).padStart(8, '0')}`)),
    'the best checkpoint survived rotation',
  );
});
