// A trained run (or exported model folder) loaded for use: the model of one checkpoint or snapshot, its
// embedding head if any, the run's tokenizer (checked against config.json's SHA-256), how its shards read
// MIDI (instruments, pedal rule), and the window and batch it trained with. What embed, generate and the
// explorer load; not training, and not the layout itself (layout.ts, config.ts, checkpoint-choice.ts).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { InstrumentPolicy } from '../midi/instruments.js';
import type { SustainRule } from '../midi/sustain.js';
import type { MidiTokenizer } from '../tokenizer/midi-tokenizer.js';
import { shardReading } from '../data/shards.js';
import { readTokenizer } from '../data/tokenizer-file.js';
import { EmbeddingHead } from '../model/embedding-head.js';
import { readSafetensors } from '../model/safetensors.js';
import { Transformer } from '../model/transformer.js';
import { resolveCheckpoint, type CheckpointChoice } from './checkpoint-choice.js';
import { findTokenizer, readRunConfig, type RunConfig } from './config.js';
import { HEAD_FILE, MODEL_FILE, RUN_FILES } from './layout.js';
import type { Precision } from '../model/precision.js';

/** 'mean': the mean-pooled last hidden state; 'contrastive': the head's unit vector of it; 'auto': the head where the model has one. */
export type Pooling = 'auto' | 'mean' | 'contrastive';

/** A run's model with everything needed to read, embed and continue pieces the way it was trained. */
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
  /** Which notes the run's shards were read with. */
  readonly instruments: InstrumentPolicy;
  /** Window length: the sequence length the model trained on. */
  readonly window: number;
  /** Windows per native call: the training batch size. */
  readonly batch: number;
  /** The contrastive head the embeddings go through (absent: mean pooling). */
  readonly head?: EmbeddingHead;
  /** Which embedding this run gives: 'contrastive' with a head, else 'mean'. */
  readonly embedding: 'mean' | 'contrastive';
  /** Mean pooling of the output of this many blocks instead of the last hidden state (absent: the last, the paper's). */
  readonly layer?: number;
  /** SHA-256 (hex, 16 digits) of the weights the embeddings come from (transformer, and head when used): equal weights, equal print. */
  readonly fingerprint: string;
}

/** Width of the vectors a model gives as song embeddings: its contrastive head's D, else d_model. */
export function embeddingDim({ model, head }: Pick<RunModel, 'model' | 'head'>): number {
  return head ? head.D : model.config.dModel;
}

/** The print of a model's weights: the same for a checkpoint and its export, different for any other weights. */
export function weightsFingerprint(model: Transformer, head?: EmbeddingHead): string {
  const hash = createHash('sha256');
  for (const w of model.parameters().values()) hash.update(new Uint8Array(w.buffer, w.byteOffset, w.byteLength));
  if (head) for (const w of [head.weight, head.bias]) hash.update(new Uint8Array(w.buffer, w.byteOffset, w.byteLength));
  return hash.digest('hex').slice(0, 16);
}

/** The embedding head saved in the model folder `dir`, if it has one (a contrastive model's). */
export function loadHead(dir: string): EmbeddingHead | undefined {
  const path = join(dir, HEAD_FILE);
  return existsSync(path) ? EmbeddingHead.fromTensors(readSafetensors(path).tensors, path) : undefined;
}

/** Loads a run's model (checkpoint `choice`, see {@link resolveCheckpoint}) computing in `precision`, its tokenizer
 *  and, by `pooling`, its embedding head; `layer` (mean pooling only) pools the output of that many blocks. */
export function loadRunModel(
  runDir: string,
  choice: CheckpointChoice = 'best',
  pooling: Pooling = 'auto',
  precision: Precision = 'fp32',
  layer?: number,
): RunModel {
  const config = readRunConfig(runDir);
  const checkpoint = resolveCheckpoint(runDir, choice);
  const tokPath = config.tokenizer.copy
    ? join(runDir, config.tokenizer.copy)
    : findTokenizer(config.data, config.tokenizer);
  if (!tokPath || !existsSync(tokPath))
    throw new Error(
      `${runDir}: the run's tokenizer (${config.tokenizer.path}) is not in the run folder nor beside its data`,
    );
  const file = readTokenizer(tokPath);
  if (file.sha256 !== config.tokenizer.sha256)
    throw new Error(
      `${tokPath}: is not the tokenizer ${runDir} was trained with (its SHA-256 differs from the one config.json records); restore the run's own tokenizer.json`,
    );
  const model = Transformer.load(join(checkpoint, MODEL_FILE));
  model.precision = precision;
  if (layer !== undefined) {
    if (pooling === 'contrastive')
      throw new Error('a layer applies to mean pooling; the contrastive head reads the last hidden state');
    if (!Number.isInteger(layer) || layer < 0 || layer > model.config.nLayers)
      throw new Error(`${checkpoint}: layer ${layer} is not one of the model's 0..${model.config.nLayers}`);
  }
  const head = pooling === 'mean' || layer !== undefined ? undefined : loadHead(checkpoint);
  if (pooling === 'contrastive' && !head)
    throw new Error(
      `${checkpoint}: no embedding head (${HEAD_FILE}); make one with motif train --objective contrastive --init ${runDir}`,
    );
  return {
    ...(head ? { head } : {}),
    embedding: head ? 'contrastive' : 'mean',
    ...(layer !== undefined && layer < model.config.nLayers ? { layer } : {}),
    fingerprint: weightsFingerprint(model, head),
    runDir: resolve(runDir),
    config,
    checkpoint,
    model,
    tokenizer: file.tokenizer,
    tokenizerJson: file.text,
    ...(config.reading ?? shardReading(config.data)),
    window: Math.min(config.train.seqLen ?? model.config.maxLen, model.config.maxLen),
    batch: config.train.batchSize ?? 8,
  };
}

/** The language model an embedding model (`--objective contrastive`) was fine-tuned from, when that folder is at
 *  hand; undefined for any other run. Continuations should come from it: the contrastive stage trains the
 *  transformer for its embedding head and leaves the next-token head as it was, so as a language model it is
 *  worse than where it started (models/asap-embed: 14.87 bits per note on the ASAP validation split,
 *  models/asap-small 13.10). */
export function originLanguageModel(runDir: string): string | undefined {
  const objective = readRunConfig(runDir).objective;
  if (objective?.kind !== 'contrastive') return undefined;
  const init = resolve(runDir, objective.init);
  return existsSync(join(init, RUN_FILES.config)) ? init : undefined;
}

/** The run's architecture freshly initialised with the run's own seed: the run's model before its first step. */
export function randomInitModel(run: RunModel): Transformer {
  return Transformer.create(run.model.config, run.config.train.seed ?? 0);
}
