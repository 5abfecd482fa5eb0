// A trained run as the embedding verbs need it: the model of one checkpoint or snapshot, the run's
// tokenizer, how its shards read MIDI (instruments, pedal rule), and the window and batch it trained with.
// Not training, and not the run-directory layout itself (src/train/run-dir.ts, checkpoint.ts).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { InstrumentPolicy } from '../midi/instruments.js';
import type { SustainRule } from '../midi/sustain.js';
import { shardReading } from '../data/shards.js';
import { Transformer } from '../model/transformer.js';
import type { MidiTokenizer } from '../tokenizer/midi-tokenizer.js';
import { readTokenizer } from '../data/tokenizer-file.js';
import { resolveCheckpoint, type CheckpointChoice } from '../train/checkpoint-choice.js';
import { MODEL_FILE } from '../train/native-model.js';
import { findTokenizer, readRunConfig, type RunConfig } from '../train/run-dir.js';
import { HEAD_FILE, loadHead } from '../train/contrastive-model.js';
import type { EmbeddingHead } from '../model/embedding-head.js';
import type { ExtractOptions } from './extract.js';

import type { Pooling } from './pooling.js';

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
}

/** How a run's model cuts, batches and (with a head) projects windows: the options embedding calls take. */
export function runExtraction(run: RunModel): Pick<ExtractOptions, 'window' | 'batch' | 'head'> {
  return { window: run.window, batch: run.batch, head: run.head };
}

/** Loads a run's model (checkpoint `choice`, see {@link resolveCheckpoint}), tokenizer and, by `pooling`, its embedding head. */
export function loadRunModel(runDir: string, choice: CheckpointChoice = 'best', pooling: Pooling = 'auto'): RunModel {
  const config = readRunConfig(runDir);
  const checkpoint = resolveCheckpoint(runDir, choice);
  const tokPath = config.tokenizer.copy ? join(runDir, config.tokenizer.copy) : findTokenizer(config.data, config.tokenizer);
  if (!tokPath || !existsSync(tokPath)) throw new Error(`${runDir}: the run's tokenizer (${config.tokenizer.path}) is not in the run folder nor beside its data`);
  const file = readTokenizer(tokPath);
  const model = Transformer.load(join(checkpoint, MODEL_FILE));
  const head = pooling === 'mean' ? undefined : loadHead(checkpoint);
  if (pooling === 'contrastive' && !head) throw new Error(`${checkpoint}: no embedding head (${HEAD_FILE}); make one with motif train --objective contrastive --init ${runDir}`);
  return {
    ...(head ? { head } : {}), embedding: head ? 'contrastive' : 'mean',
    runDir: resolve(runDir), config, checkpoint, model, tokenizer: file.tokenizer, tokenizerJson: file.text, ...(config.reading ?? shardReading(config.data)),
    window: Math.min(config.train.seqLen ?? model.config.maxLen, model.config.maxLen), batch: config.train.batchSize ?? 8,
  };
}

/** The run's architecture freshly initialised with the run's own seed: the run's model before its first step. */
export function randomInitModel(run: RunModel): Transformer {
  return Transformer.create(run.model.config, run.config.train.seed ?? 0);
}
