// metrics.jsonl of a run: one JSON record per line, appended as training goes. A checkpoint stores the
// file's byte length, and a resumed run cuts the file back to it, so records written after the last
// checkpoint (then lost to a crash) are not duplicated. Not a plotting or summary module (see src/report/).
import { appendFileSync, existsSync, readFileSync, statSync, truncateSync } from 'node:fs';

/** A record every `evalInterval` steps (kind 'step') or at the end of an epoch (kind 'epoch'; epoch 0 = before training). */
export interface MetricsRecord {
  kind: 'step' | 'epoch';
  step: number;
  /** Completed epochs, fractional inside an epoch. */
  epoch: number;
  /** Mean train loss (nats per target token) since the previous record of the same kind; absent at epoch 0. */
  trainLoss?: number;
  trainPerplexity?: number;
  valLoss?: number;
  valPerplexity?: number;
  /** Contrastive runs: share of validation slices whose nearest slice is their pair. */
  valTop1?: number;
  /** Learning rate of the last step. */
  lr?: number;
  /** Mean gradient norm (before clipping) since the previous record of the same kind. */
  gradNorm?: number;
  /** Train tokens per second of training-step time (evaluation excluded). */
  tokensPerSec?: number;
  /** Wall-clock seconds since the run started, summed across resumes. */
  elapsed: number;
}

/** Appends records to a run's metrics.jsonl. */
export class MetricsLog {
  constructor(readonly path: string) {}

  /** Current length in bytes (0 when absent). */
  bytes(): number {
    return existsSync(this.path) ? statSync(this.path).size : 0;
  }

  /** Cuts the file back to `bytes` (the length stored with a checkpoint). */
  truncate(bytes: number): void {
    if (existsSync(this.path) && this.bytes() > bytes) truncateSync(this.path, bytes);
  }

  /** Appends one record as a line. */
  append(record: MetricsRecord): void {
    appendFileSync(this.path, JSON.stringify(record) + '\n');
  }
}

/** Reads every complete record of a metrics.jsonl (a torn last line, from a kill, is skipped). */
export function readMetrics(path: string): MetricsRecord[] {
  if (!existsSync(path)) return [];
  const out: MetricsRecord[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as MetricsRecord);
    } catch {
      // Only the last line can be torn; a later complete line would still be read.
    }
  }
  return out;
}
