// Which snapshots of a run a map over training shows, among those listSnapshots (src/run/checkpoint-choice.ts)
// finds: by default the first (epoch 0 = before training), the one nearest mid-way and the last.
// Not an embedder or loader.
import type { Snapshot } from '../run/checkpoints.js';

/** The snapshots of `epochs`, or by default first, middle and last; throws naming what is missing. */
export function pickSnapshots(all: readonly Snapshot[], epochs?: readonly number[], runDir = 'the run'): Snapshot[] {
  if (all.length === 0) throw new Error(`${runDir}: no snapshots (train with --snapshots 0,N,last to save some)`);
  const have = `available: ${all.map((s) => s.epoch).join(', ')}`;
  if (epochs) {
    return epochs.map((e) => {
      const s = all.find((x) => x.epoch === e);
      if (!s) throw new Error(`${runDir}: no snapshot of epoch ${e} (${have})`);
      return s;
    });
  }
  const first = all[0];
  const last = all[all.length - 1];
  const half = (first.epoch + last.epoch) / 2;
  // Nearest to half-way among the inner snapshots; ties go to the earlier one.
  const inner = all.slice(1, -1);
  const mid = inner.reduce<Snapshot | undefined>(
    (best, s) => (best === undefined || Math.abs(s.epoch - half) < Math.abs(best.epoch - half) ? s : best),
    undefined,
  );
  return [first, ...(mid ? [mid] : []), ...(last !== first ? [last] : [])];
}

/** A panel title for a snapshot: its epoch, and "before training" for epoch 0. */
export function snapshotTitle(s: Snapshot): string {
  return s.epoch === 0 ? 'epoch 0 (before training)' : `epoch ${s.epoch}`;
}
