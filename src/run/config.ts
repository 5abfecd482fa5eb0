// A run's config.json (model, training options, data, tokenizer reference, git revision) and the copy of its
// tokenizer: creating a run directory, reading and resolving its config, and the portable form an export
// stores. The other files are checkpoints.ts's, metrics-log.ts's and records.ts's; their names are layout.ts's.
// docs/run-directory.md describes the whole folder; python/motif_run.py mirrors this file for the PyTorch engine.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDir, writeAtomic } from '../util/atomic.js';
import { RUN_FILES } from './layout.js';
import type { TrainOptions } from './train-options.js';
import type { PrecisionRecord } from '../model/precision.js';
import type { MidiReading } from '../data/shards.js';
import { readJsonFile } from '../util/json-file.js';

/** Contents of a run's config.json. */
export interface RunConfig {
  format: 'motif-run';
  version: 1;
  created: string;
  /** Commit of the code that started the run; dirty = uncommitted changes; null outside a git checkout. */
  git: { revision: string; dirty: boolean } | null;
  /** Absolute path of the token shards. */
  data: string;
  /** The tokenizer the shards were made with; `copy` is its file name inside the run dir when it could be copied. */
  tokenizer: { path: string; sha256: string; copy: string | null };
  /** Preset name or file the model config came from. */
  preset: string;
  /** The model configuration, as plain data (src/model/config.ts). */
  model: Record<string, unknown>;
  train: TrainOptions;
  /** How the shards read MIDI; written by an export (which travels without its shards), else read from the shards' index. */
  reading?: MidiReading;
  /** What the run optimises when not next-token prediction (absent): the contrastive stage and its settings. */
  objective?: ContrastiveRecord;
  /** The native engine's arithmetic when the run started: train.precision resolved, its bf16 path and the kernel ISA
   *  (absent in runs from before bf16, which trained in fp32). */
  compute?: PrecisionRecord;
}

/** Defaults of a contrastive run's objective settings, for runs that do not set them. */
export const CONTRASTIVE_DEFAULTS = {
  embedDim: 256,
  temperature: 0.1,
  minTokens: 64,
  validationBatches: 4,
  // Measured on the ASAP validation split (README, contrastive embeddings): pairs from one performance found
  // pieces and composers better than pairs from two (excerpt MRR 0.864 vs 0.847, composer k-NN 0.460 vs 0.397),
  // and half the target on the composer's pairs lifted composer k-NN to 0.643 (0.25: 0.603; 0: 0.460).
  positives: 'performance',
  composerWeight: 0.5,
  worksPerComposer: 0,
} as const;

/** A contrastive run's objective settings (src/train/contrastive-run.ts). */
export interface ContrastiveRecord {
  kind: 'contrastive';
  /** The language model it started from (run or exported folder), relative to the run directory. */
  init: string;
  /** The checkpoint of `init` whose weights it started from, relative to the run directory. */
  initCheckpoint: string;
  /** Width of the embedding (the head's output). */
  embedDim: number;
  /** InfoNCE temperature. */
  temperature: number;
  /** Shortest slice in tokens (the longest is the run's seqLen). */
  minTokens: number;
  /** Batches of fixed validation pairs per validation. */
  validationBatches: number;
  /** What a positive pair shares (src/train/slice-pairs.ts); absent in runs from before the setting: performance. */
  positives?: 'performance' | 'work' | 'passage';
  /** Share of each view's InfoNCE target spread over the batch's pairs of its composer; absent in older runs: 0. */
  composerWeight?: number;
  /** Works a batch takes by composer (src/train/slice-pairs.ts; 0: works drawn uniformly); absent in older runs: 0. */
  worksPerComposer?: number;
}

/** Creates a run directory for a new run; refuses one that already holds a run (resume it instead) or other files. */
export function createRunDir(
  dir: string,
  config: Omit<RunConfig, 'format' | 'version' | 'created' | 'git' | 'tokenizer'> & {
    tokenizer: { path: string; sha256: string };
  },
): RunConfig {
  if (existsSync(join(dir, RUN_FILES.config)))
    throw new Error(`${dir}: already holds a run; continue it with --resume ${dir}, or choose another --out`);
  if (existsSync(dir) && readdirSync(dir).length > 0)
    throw new Error(`${dir}: exists and is not empty; choose a new --out folder`);
  ensureDir(dir);
  const tokenizerSrc = findTokenizer(config.data, config.tokenizer);
  let copy: string | null = null;
  if (tokenizerSrc) {
    copyFileSync(tokenizerSrc, join(dir, RUN_FILES.tokenizer));
    copy = RUN_FILES.tokenizer;
  }
  const full: RunConfig = {
    format: 'motif-run',
    version: 1,
    created: new Date().toISOString(),
    git: gitRevision(),
    ...config,
    data: resolve(config.data),
    tokenizer: { ...config.tokenizer, copy },
  };
  writeAtomic(join(dir, RUN_FILES.config), Buffer.from(JSON.stringify(full, null, 2) + '\n'));
  return full;
}

/** The tokenizer file a shard index refers to (its path is as given at tokenizing: relative to the working
 *  directory then, or to the shards), if one with the recorded SHA-256 is found. */
export function findTokenizer(data: string, ref: { path: string; sha256: string }): string | undefined {
  return [resolve(ref.path), resolve(data, ref.path), join(data, RUN_FILES.tokenizer)].find(
    (p) => existsSync(p) && createHash('sha256').update(readFileSync(p)).digest('hex') === ref.sha256,
  );
}

/** Reads a run's config.json, with the path in any error. */
export function readRunConfig(dir: string): RunConfig {
  const path = join(dir, RUN_FILES.config);
  if (!existsSync(path)) throw new Error(`${dir}: not a motif run (no ${RUN_FILES.config})`);
  const config = readJsonFile<RunConfig>(path);
  if (config.format !== 'motif-run') throw new Error(`${path}: not a motif run config`);
  // Exported folders store their paths relative to themselves (see exportModel), so they move with the folder.
  return {
    ...config,
    data: resolve(dir, config.data),
    tokenizer: { ...config.tokenizer, path: resolve(dir, config.tokenizer.path) },
  };
}

/** The config as an exported folder at `out` stores it: its paths relative to `out`, so no machine path is kept. */
export function portableRunConfig(config: RunConfig, out: string): RunConfig {
  return {
    ...config,
    data: relative(resolve(out), config.data),
    tokenizer: { ...config.tokenizer, path: relative(resolve(out), config.tokenizer.path) },
  };
}

/** The git commit of motif's own checkout (not the user's working directory), or null when git or a checkout is absent. */
export function gitRevision(cwd = dirname(fileURLToPath(import.meta.url))): RunConfig['git'] {
  try {
    const revision = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return { revision, dirty: status.trim().length > 0 };
  } catch {
    return null;
  }
}
