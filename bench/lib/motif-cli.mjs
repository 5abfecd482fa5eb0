// The motif CLI as a user runs it (bin/motif.js of this checkout), for benchmarks that train and
// evaluate through it rather than through the library, so they measure what a user gets.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'motif.js');

/** Runs one verb; its stdout, or an error carrying its stderr when it fails. */
export function motif(...args) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`motif ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr}`);
  return r.stdout;
}

/** The records of a run's metrics.jsonl, in order. */
export function runMetrics(run) {
  return readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

/**
 * `motif eval` of a run's last checkpoint on the validation split, checked first: it must reproduce the
 * run's own last validation loss, or the scoring and the training disagree about what they measure.
 */
export function evalLastValidation(run) {
  const last = runMetrics(run).at(-1);
  // eval writes its result into the run: reuse it when it scored this last step (a re-run study).
  const saved = join(run, 'eval-validation.json');
  const kept = existsSync(saved) ? JSON.parse(readFileSync(saved, 'utf8')) : undefined;
  const ev =
    kept?.step === last.step
      ? kept
      : JSON.parse(motif('eval', '--run', run, '--split', 'validation', '--checkpoint', 'last', '--json'));
  if (Math.abs(ev.loss - last.valLoss) > 1e-5)
    throw new Error(`${run}: eval ${ev.loss} differs from the run's last validation ${last.valLoss}`);
  return { ev, last };
}
