// A trained run as the embedding verbs need it: the model of one checkpoint or snapshot, the run's
// tokenizer, the pedal rule its shards were made with, and the window and batch it trained with.
// Not training, and not the run-directory layout itself (src/train/run-dir.ts, checkpoint.ts).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SustainRule } from '../midi/sustain.js';
import { Transformer } from '../model/transformer.js';
import type { MidiTokenizer } from '../tokenizer/midi-tokenizer.js';
import { readTokenizer } from '../data/tokenizer-file.js';
import { CheckpointStore } from '../train/checkpoint.js';
import { MODEL_FILE } from '../train/native-model.js';
import { findTokenizer, readRunConfig, RUN_FILES, type RunConfig } from '../train/run-dir.js';
import { snapshotName } from '../train/trainer.js';

/** Everything needed to embed pieces the way a run's model reads them. */
export interface RunModel {
  readonly runDir: string;
  readonly config: RunConfig;
  /** The checkpoint or snapshot folder the model was loaded from. */
  readonly checkpoint: string;
  readonly model: Transformer;
  readonly tokenizer: MidiTokenizer;
  /** Text of the tokenizer.json (sent to tokenizing workers). */
  readonly tokenizerJson: string;
  /** Pedal rule the run's shards were made with. */
  readonly sustain: SustainRule | 'none';
  /** Window length: the sequence length the model trained on. */
  readonly window: number;
  /** Windows per native call: the training batch size. */
  readonly batch: number;
}

/**
 * The folder of a checkpoint choice: `best` (lowest validation loss; else the newest checkpoint, else the
 * newest snapshot, else the weights of an exported model folder), `last`/`latest` (newest checkpoint), `epoch-N` (the snapshot of epoch N), or a folder.
 */
export function resolveCheckpoint(runDir: string, choice = 'best'): string {
  const checkpoints = existsSync(join(runDir, 'checkpoints')) ? new CheckpointStore(runDir) : undefined;
  const snapshots = (): string | undefined => {
    const dir = join(runDir, RUN_FILES.snapshots);
    const epochs = existsSync(dir) ? readdirSync(dir).map((n) => /^epoch-(\d+)$/.exec(n)).filter((m) => m !== null).map((m) => Number(m[1])) : [];
    return epochs.length ? join(dir, snapshotName(Math.max(...epochs))) : undefined;
  };
  const epoch = /^epoch-(\d+)$/.exec(choice);
  let dir: string | undefined;
  // An exported model folder (src/train/export.ts) holds its weights at the top.
  const exported = existsSync(join(runDir, MODEL_FILE)) ? runDir : undefined;
  if (choice === 'best') dir = checkpoints?.best()?.path ?? checkpoints?.latest() ?? snapshots() ?? exported;
  else if (choice === 'last' || choice === 'latest') dir = checkpoints?.latest();
  else if (epoch) dir = join(runDir, RUN_FILES.snapshots, snapshotName(Number(epoch[1])));
  else dir = resolve(choice);
  if (!dir || !existsSync(join(dir, MODEL_FILE))) {
    throw new Error(`${runDir}: no ${epoch ? `snapshot of epoch ${epoch[1]}` : choice === 'best' || choice === 'last' || choice === 'latest' ? `${choice} checkpoint` : `${MODEL_FILE} in ${choice}`}`);
  }
  return dir;
}

/** Loads a run's model (checkpoint `choice`, see {@link resolveCheckpoint}) and tokenizer. */
export function loadRunModel(runDir: string, choice = 'best'): RunModel {
  const config = readRunConfig(runDir);
  const checkpoint = resolveCheckpoint(runDir, choice);
  const tokPath = config.tokenizer.copy ? join(runDir, config.tokenizer.copy) : findTokenizer(config.data, config.tokenizer);
  if (!tokPath || !existsSync(tokPath)) throw new Error(`${runDir}: the run's tokenizer (${config.tokenizer.path}) is not in the run folder nor beside its data`);
  const file = readTokenizer(tokPath);
  const model = Transformer.load(join(checkpoint, MODEL_FILE));
  return {
    runDir: resolve(runDir), config, checkpoint, model, tokenizer: file.tokenizer, tokenizerJson: file.text, sustain: shardSustain(config.data),
    window: Math.min(config.train.seqLen ?? model.config.maxLen, model.config.maxLen), batch: config.train.batchSize ?? 8,
  };
}

/** The run's architecture freshly initialised with the run's own seed: the run's model before its first step. */
export function randomInitModel(run: RunModel): Transformer {
  return Transformer.create(run.model.config, run.config.train.seed ?? 0);
}

/** The pedal rule recorded in the shards' index.json; 'musical' (motif's default) when it cannot be read. */
function shardSustain(data: string): SustainRule | 'none' {
  try {
    const index = JSON.parse(readFileSync(join(data, 'index.json'), 'utf8')) as { sustain?: string };
    return index.sustain === 'reference' || index.sustain === 'none' ? index.sustain : 'musical';
  } catch {
    return 'musical';
  }
}
