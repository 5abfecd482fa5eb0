// The model and training configuration: plain data with defaults, validated with clear errors, and
// the JSON presets of presets/ (tiny, small, paper). Not the model itself (transformer.ts).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Architecture of the transformer (dimension letters as native/src/model.h: V, maxT, C, L, NH, F). */
export interface ModelConfig {
  /** V: token vocabulary size. */
  vocabSize: number;
  /** maxT: longest sequence (rows of the positional embedding). */
  maxLen: number;
  /** C: model width. */
  dModel: number;
  /** L: number of blocks. */
  nLayers: number;
  /** NH: attention heads; must divide dModel. */
  nHeads: number;
  /** F: feed-forward width. */
  dFF: number;
  /** Dropout probability on embeddings, attention probabilities and sublayer outputs. */
  dropout: number;
  /** 'post-ln': PyTorch nn.TransformerEncoderLayer defaults; 'pre-ln': GPT-2 style with a final LayerNorm. */
  layout: 'post-ln' | 'pre-ln';
  /** Feed-forward activation (GELU is the exact erf form). */
  activation: 'relu' | 'gelu';
  /** Output head shares the token embedding's weight. */
  tiedHead: boolean;
  /** Output head has a bias. */
  headBias: boolean;
  /** Token id whose targets the loss ignores (-1: none). */
  padId: number;
}

/** Optimizer and schedule settings of a training run. */
export interface TrainConfig {
  batchSize: number;
  seqLen: number;
  /** Peak learning rate of the one-cycle schedule. */
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled (AdamW) weight decay. */
  weightDecay: number;
  /** Global gradient-norm clip (≤ 0: off). */
  clipNorm: number;
  /** λ of the L1 penalty added to the loss (0: off); its form is `l1Form`. */
  l1: number;
  /**
   * `mean`: λ·mean|w| (λ per parameter on average, independent of model size); `sum`: λ·Σ|w|, the
   * literal reading, whose gradient norm λ·√N (60.7 for the paper preset at λ 1e-2) swamps the loss
   * after clipping and stops learning. Missing = `sum`, so runs recorded before the choice existed
   * resume as they started; every preset states its form.
   */
  l1Form: L1Form;
  pctStart: number;
  divFactor: number;
  finalDivFactor: number;
}

/** How the L1 penalty scales with the number of parameters (see TrainConfig.l1Form). */
export type L1Form = 'mean' | 'sum';

/** A preset file: model + training configuration. */
export interface Preset {
  name: string;
  model: ModelConfig;
  train: TrainConfig;
}

/** Defaults: the reference (paper) architecture. */
export const DEFAULT_MODEL: ModelConfig = {
  vocabSize: 30000,
  maxLen: 2048,
  dModel: 384,
  nLayers: 6,
  nHeads: 6,
  dFF: 2048,
  dropout: 0.1,
  layout: 'post-ln',
  activation: 'relu',
  tiedHead: false,
  headBias: true,
  padId: 0,
};

/** Defaults: the reference optimizer (AdamW 0.9/0.95, clip 1, one-cycle as PyTorch's OneCycleLR). */
export const DEFAULT_TRAIN: TrainConfig = {
  batchSize: 8,
  seqLen: 2048,
  lr: 3e-4,
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  weightDecay: 0.01,
  clipNorm: 1,
  l1: 0,
  l1Form: 'sum',
  pctStart: 0.3,
  divFactor: 25,
  finalDivFactor: 1e4,
};

function fill<T extends object>(defaults: T, given: unknown, where: string): T {
  if (given === undefined) return { ...defaults };
  if (typeof given !== 'object' || given === null || Array.isArray(given))
    throw new Error(`${where}: expected an object`);
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [key, value] of Object.entries(given)) {
    if (!(key in defaults))
      throw new Error(`${where}: unknown field '${key}' (known: ${Object.keys(defaults).join(', ')})`);
    const want = typeof (defaults as Record<string, unknown>)[key];
    if (typeof value !== want) throw new Error(`${where}: '${key}' must be a ${want}, got ${JSON.stringify(value)}`);
    out[key] = value;
  }
  return out as T;
}

function check(ok: boolean, where: string, message: string): void {
  if (!ok) throw new Error(`${where}: ${message}`);
}

/** Fills defaults into a partial model config and validates it; throws naming the problem. */
export function modelConfig(given: unknown = {}, where = 'model config'): ModelConfig {
  const c = fill(DEFAULT_MODEL, given, where);
  for (const k of ['vocabSize', 'maxLen', 'dModel', 'nLayers', 'nHeads', 'dFF'] as const)
    check(Number.isInteger(c[k]) && c[k] > 0, where, `${k} must be a positive integer, got ${c[k]}`);
  check(c.dModel % c.nHeads === 0, where, `dModel (${c.dModel}) must be divisible by nHeads (${c.nHeads})`);
  check(c.dropout >= 0 && c.dropout < 1, where, `dropout must be in [0, 1), got ${c.dropout}`);
  check(
    c.layout === 'post-ln' || c.layout === 'pre-ln',
    where,
    `layout must be 'post-ln' or 'pre-ln', got '${c.layout}'`,
  );
  check(
    c.activation === 'relu' || c.activation === 'gelu',
    where,
    `activation must be 'relu' or 'gelu', got '${c.activation}'`,
  );
  check(
    Number.isInteger(c.padId) && c.padId >= -1 && c.padId < c.vocabSize,
    where,
    `padId must be -1 or a token id below vocabSize, got ${c.padId}`,
  );
  return c;
}

/** Fills defaults into a partial training config and validates it. */
export function trainConfig(given: unknown = {}, where = 'train config'): TrainConfig {
  const c = fill(DEFAULT_TRAIN, given, where);
  for (const k of ['batchSize', 'seqLen'] as const)
    check(Number.isInteger(c[k]) && c[k] > 0, where, `${k} must be a positive integer`);
  check(c.lr > 0, where, 'lr must be positive');
  check(c.beta1 >= 0 && c.beta1 < 1 && c.beta2 >= 0 && c.beta2 < 1, where, 'betas must be in [0, 1)');
  check(c.eps > 0 && c.weightDecay >= 0 && c.l1 >= 0, where, 'eps must be positive; weightDecay and l1 non-negative');
  check(c.l1Form === 'mean' || c.l1Form === 'sum', where, `l1Form must be 'mean' or 'sum', got '${c.l1Form}'`);
  check(
    c.pctStart > 0 && c.pctStart < 1 && c.divFactor > 0 && c.finalDivFactor > 0,
    where,
    'pctStart must be in (0, 1), the div factors positive',
  );
  return c;
}

function presetsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'presets'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('motif: cannot find the presets/ folder');
    dir = up;
  }
  return join(dir, 'presets');
}

/** Loads a preset by name (tiny, small, paper) or from a path ending in .json; validates it. */
export function loadPreset(nameOrPath: string): Preset {
  const path = nameOrPath.endsWith('.json') ? nameOrPath : join(presetsDir(), `${nameOrPath}.json`);
  if (!existsSync(path))
    throw new Error(`preset '${nameOrPath}' not found (${path}); built-in presets: tiny, small, paper`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`preset ${path}: invalid JSON (${(err as Error).message})`, { cause: err });
  }
  if (typeof raw !== 'object' || raw === null) throw new Error(`preset ${path}: expected a JSON object`);
  const { model, train } = raw as { model?: unknown; train?: unknown };
  const name = nameOrPath.endsWith('.json') ? path : nameOrPath;
  return {
    name,
    model: modelConfig(model, `preset ${path}: model`),
    train: trainConfig(train, `preset ${path}: train`),
  };
}
