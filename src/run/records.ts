// The evaluation records a run keeps beside its training: eval-<split>.json (language-model loss on a split,
// written by `motif perplexity`) and embedding-eval[-<name>].json (embedding quality, saved from `motif
// evaluate-embeddings --json`), read back for the run report. Not the measuring (train/perplexity.ts,
// embed/evaluate-embeddings.ts) and not the drawing (report/run-report.ts).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomic } from '../util/atomic.js';
import { readJsonFile } from '../util/json-file.js';
import { EMBEDDING_EVAL_FILE, EVAL_FILE, evalFile } from './layout.js';
import type { PrecisionRecord } from '../model/precision.js';

/** Results of `motif perplexity` on one split, as stored in eval-<split>.json. */
export interface EvalResult {
  split: string;
  checkpoint: string;
  step: number;
  loss: number;
  perplexity: number;
  bitsPerNote: number;
  targets: number;
  notes: number;
  pieces: number;
  /** Count baselines fitted on the train split, scored on the same targets (absent in older files). */
  baselines?: Record<'unigram' | 'bigram', { loss: number; perplexity: number; bitsPerNote: number }>;
  /** The arithmetic the loss was computed with (absent in older files: fp32). */
  compute?: PrecisionRecord;
}

/** Metrics of one embedding method (learned, random_init, handcrafted) as `motif evaluate-embeddings --json` gives them. */
export type EmbeddingMetrics = Record<string, number>;

/** One `motif evaluate-embeddings --json` result saved in the run as embedding-eval[-<name>].json: methods and shared numbers. */
export interface EmbeddingEval {
  /** The file's name without .json; a suffix (embedding-eval-<suffix>) names the dataset or split measured. */
  name: string;
  methods: Record<string, EmbeddingMetrics>;
  /** Top-level numbers such as majority_acc and the counts. */
  shared: Record<string, number>;
}

/** Records `result` as the run's eval-<split>.json (atomically); returns its path. */
export function writeEvalResult(runDir: string, result: EvalResult): string {
  const path = join(runDir, evalFile(result.split));
  writeAtomic(path, Buffer.from(JSON.stringify(result, null, 2) + '\n'));
  return path;
}

/** The run's eval-<split>.json records, by file name. */
export function readEvalResults(runDir: string): EvalResult[] {
  return readRecords(runDir, EVAL_FILE).map(([, v]) => v as EvalResult);
}

/** The run's embedding evaluations, by file name. */
export function readEmbeddingEvals(runDir: string): EmbeddingEval[] {
  return readRecords(runDir, EMBEDDING_EVAL_FILE).map(([n, v]) => parseEmbeddingEval(n, v));
}

function readRecords(runDir: string, pattern: RegExp): Array<[string, unknown]> {
  return readdirSync(runDir)
    .filter((n) => pattern.test(n))
    .sort()
    .map((n) => [n, readJsonFile<unknown>(join(runDir, n))]);
}

/** Splits an evaluation JSON into per-method metric objects and shared numbers; throws naming the file if it has no methods. */
export function parseEmbeddingEval(name: string, value: unknown): EmbeddingEval {
  const methods: Record<string, EmbeddingMetrics> = {};
  const shared: Record<string, number> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v === 'number') shared[k] = v;
    else if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      methods[k] = Object.fromEntries(Object.entries(v).filter((e): e is [string, number] => typeof e[1] === 'number'));
    }
  }
  if (Object.keys(methods).length === 0)
    throw new Error(`${name}: no method results (expected objects such as "learned", "random_init", "handcrafted")`);
  return { name: name.replace(/\.json$/, ''), methods, shared };
}
