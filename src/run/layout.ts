// The names inside a run directory (and an exported model folder): every file and folder motif reads or
// writes there, and how checkpoint and snapshot folders are named. Names only, so that any layer may
// import them; reading and writing are config.ts, checkpoints.ts, trainer-state.ts, metrics-log.ts,
// records.ts and run-model.ts. docs/run-directory.md describes each file; python/motif_run.py mirrors
// these names for the PyTorch engine.

/** File and folder names at the top of a run directory. */
export const RUN_FILES = {
  config: 'config.json',
  tokenizer: 'tokenizer.json',
  metrics: 'metrics.jsonl',
  checkpoints: 'checkpoints',
  snapshots: 'snapshots',
  /** Maps over training (motif map --over-training); the report shows the SVGs found there. */
  maps: 'maps',
  report: 'report.html',
} as const;

/** Inside checkpoints/: which checkpoint has the lowest validation loss. */
export const BEST_FILE = 'best.json';
/** The transformer's weights inside checkpoint, snapshot and exported model folders. */
export const MODEL_FILE = 'model.safetensors';
/** A contrastive model's embedding head, beside MODEL_FILE. */
export const HEAD_FILE = 'embedding-head.safetensors';
/** The trainer's state inside a checkpoint folder. */
export const TRAINER_STATE_FILE = 'trainer.json';
/** Epoch, step and validation loss inside a snapshot folder. */
export const SNAPSHOT_FILE = 'snapshot.json';

/** Name of the folder of the checkpoint at `step` inside checkpoints/. */
export function checkpointName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/** Name of the snapshot folder of `epoch` inside snapshots/. */
export function snapshotName(epoch: number): string {
  return `epoch-${String(epoch).padStart(4, '0')}`;
}

/** The training curve SVG of `kind` (loss.svg, perplexity.svg). */
export function curveFile(kind: 'loss' | 'perplexity'): string {
  return `${kind}.svg`;
}

/** The record of `motif perplexity` (alias eval) on a split. */
export function evalFile(split: string): string {
  return `eval-${split}.json`;
}

/** Names of the records evalFile writes. */
export const EVAL_FILE = /^eval-.+\.json$/;
/** Embedding evaluations saved into a run (`motif evaluate-embeddings --json`), shown by its report. */
export const EMBEDDING_EVAL_FILE = /^embedding-eval(-.+)?\.json$/;

/** Whether a top-level file of a run is part of its record, which an export carries along with the model. */
export function isRecordFile(name: string): boolean {
  return name === RUN_FILES.tokenizer || name === RUN_FILES.metrics || EVAL_FILE.test(name) || name.endsWith('.svg');
}
