// Exports a trained run as a self-contained model folder (what models/ ships): config.json, the
// tokenizer, the weights of one checkpoint without optimizer state (with its embedding head when the run
// is contrastive), and the run's metrics, evaluations and curves as its record. Such a folder is accepted wherever a run is (`--run models/asap-small`).
// Not a checkpoint: it cannot be resumed.
import { copyFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Transformer } from '../model/transformer.js';
import { HEAD_FILE, isRecordFile, MODEL_FILE, RUN_FILES } from '../run/layout.js';
import { ContrastiveModel } from './contrastive-model.js';
import { ensureDir, writeAtomic } from '../util/atomic.js';
import { shardReading } from '../data/shards.js';
import { portableRunConfig, readRunConfig } from '../run/config.js';

/** What an export wrote. */
export interface ExportResult {
  readonly out: string;
  readonly checkpoint: string;
  readonly step: number;
  readonly parameters: number;
  readonly files: readonly string[];
}

/** Writes the model of `checkpointDir` (a folder holding model.safetensors) from `runDir` into `out`. */
export function exportModel(runDir: string, checkpointDir: string, out: string): ExportResult {
  readRunConfig(runDir); // refuses a folder that is not a run, with its own message
  if (existsSync(out) && readdirSync(out).length > 0)
    throw new Error(`${out}: exists and is not empty; choose a new folder`);
  ensureDir(out);
  const contrastive = existsSync(join(checkpointDir, HEAD_FILE)) ? ContrastiveModel.load(checkpointDir) : undefined;
  const model = contrastive?.transformer ?? Transformer.load(join(checkpointDir, MODEL_FILE));
  if (contrastive) contrastive.save(out, false);
  else model.save(join(out, MODEL_FILE), { optimizer: false });
  const files = contrastive ? [MODEL_FILE, HEAD_FILE] : [MODEL_FILE];
  const record = readdirSync(runDir).filter(isRecordFile);
  for (const name of record) {
    copyFileSync(join(runDir, name), join(out, name));
    files.push(name);
  }
  // The export travels without its shards: it keeps how they read MIDI, so new files are read the same way.
  const config = readRunConfig(runDir);
  const portable = { ...portableRunConfig(config, out), reading: config.reading ?? shardReading(config.data) };
  writeAtomic(join(out, RUN_FILES.config), Buffer.from(JSON.stringify(portable, null, 2) + '\n'));
  files.push(RUN_FILES.config);
  return { out, checkpoint: checkpointDir, step: model.trainedSteps, parameters: model.numParameters, files };
}
