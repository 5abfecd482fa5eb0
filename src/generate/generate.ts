// generate(): continues a prompt with a trained model, composed of the pieces beside it — the native
// KV-cached decoder (model/incremental-decoder.ts), a mask of ids that cannot follow (event-state.ts),
// logits processors, a seeded sampler per stream and stopping criteria. Several samples of one prompt
// decode as one batch; the prompt is computed once. When the context is full, each stream's last
// tokens are re-encoded (positions are absolute) and onSlide says so. Not a CLI: cli/generate.ts is.
import type { Notes } from '../midi/notes.js';
import type { MidiTokenizer } from '../tokenizer/midi-tokenizer.js';
import type { Transformer } from '../model/transformer.js';
import { sliceNotes } from '../analysis/excerpt.js';
import { EventState } from './event-state.js';
import { applyProcessors, minP, temperature, topK, topP, type LogitsProcessor } from './logits-processors.js';
import { Sampler } from './sampler.js';
import {
  atEos,
  maxNotes,
  maxSeconds,
  maxTokens,
  shouldStop,
  type StoppingCriterion,
  type StreamProgress,
} from './stopping.js';

/** Options of generate(); every field has a default. */
export interface GenerateOptions {
  /** Notes to continue (sustain applied), tokenized as in training; none: start from <CLS> alone. */
  prompt?: Notes;
  /** Stop a sample after this many generated ids, notes, or seconds of music past the prompt (1,024 ids when none is set). */
  maxTokens?: number;
  maxNotes?: number;
  maxSeconds?: number;
  /** Softmax temperature (1); 0 means greedy. */
  temperature?: number;
  /** Keep the k most likely ids (0: all). */
  topK?: number;
  /** Nucleus: keep the most likely ids up to this cumulative probability (1: all). */
  topP?: number;
  /** Keep ids at least this fraction as likely as the most likely (0: all). */
  minP?: number;
  /** Seed of the samplers (sample i draws from its own generator derived from seed and i). */
  seed?: number;
  /** Samples of the same prompt, decoded as one batch (1). */
  samples?: number;
  /** Refuse ids whose note events cannot follow (true); when false they are repaired and counted. */
  maskInvalid?: boolean;
  /** Tokens kept when the context is full (half the model's context). */
  keepOnSlide?: number;
  /** Called for each generated id, in order, with the stream's progress. */
  onToken?: (sample: number, id: number, progress: Readonly<StreamProgress>) => void;
  /** Called when the context was full and the last `kept` tokens of every stream were re-encoded. */
  onSlide?: (position: number, kept: number) => void;
}

/** One continuation of the prompt. */
export interface GeneratedSample {
  /** Generated model ids (the prompt not included). */
  ids: Int32Array;
  /** The prompt as the model read it, then the continuation: every note closed. */
  notes: Notes;
  /** The notes starting at or after the prompt's end, shifted to start at 0. */
  continuation: Notes;
  /** Ids or events that could not follow and were repaired (0 when masking). */
  repairs: number;
  progress: StreamProgress;
}

/** What generate() returns. */
export interface Generation {
  samples: GeneratedSample[];
  /** The prompt's model ids, <CLS> first. */
  promptIds: Int32Array;
  /** Seconds of music in the prompt as tokenized. */
  promptSeconds: number;
  /** Times the context was full and re-encoded. */
  slides: number;
  /** Generated ids per second of wall time, summed over samples (the prompt's forward not counted). */
  tokensPerSecond: number;
  /** Wall time of the prompt's forward and of the generation, in seconds. */
  promptTime: number;
  generateTime: number;
}

/** The prompt cut to its first `seconds` (notes starting before it, ends clipped). */
export function cropPrompt(notes: Notes, seconds: number): Notes {
  return sliceNotes(notes, 0, seconds);
}

function processorsOf(o: GenerateOptions): LogitsProcessor[] {
  const list: LogitsProcessor[] = [];
  if ((o.temperature ?? 1) !== 0) list.push(temperature(o.temperature ?? 1));
  if (o.topK) list.push(topK(o.topK));
  if (o.topP !== undefined && o.topP < 1) list.push(topP(o.topP));
  if (o.minP) list.push(minP(o.minP));
  return list;
}

function criteriaOf(o: GenerateOptions): StoppingCriterion[] {
  const list: StoppingCriterion[] = [atEos];
  if (o.maxTokens !== undefined) list.push(maxTokens(o.maxTokens));
  if (o.maxNotes !== undefined) list.push(maxNotes(o.maxNotes));
  if (o.maxSeconds !== undefined) list.push(maxSeconds(o.maxSeconds));
  if (list.length === 1) list.push(maxTokens(1024));
  return list;
}

/** Continues `options.prompt` (or starts from nothing) with `model`, whose vocabulary is `tokenizer`'s. */
export function generate(model: Transformer, tokenizer: MidiTokenizer, options: GenerateOptions = {}): Generation {
  if (model.config.vocabSize !== tokenizer.vocabSize) {
    throw new Error(
      `the model has ${model.config.vocabSize} ids but the tokenizer ${tokenizer.vocabSize}: they were not trained together`,
    );
  }
  const S = options.samples ?? 1;
  if (!Number.isInteger(S) || S < 1) throw new RangeError(`samples must be a positive integer, got ${S}`);
  const V = model.config.vocabSize,
    capacity = model.config.maxLen;
  const keep = options.keepOnSlide ?? Math.floor(capacity / 2);
  if (!Number.isInteger(keep) || keep < 1 || keep >= capacity)
    throw new RangeError(`keepOnSlide must be an integer in 1..${capacity - 1}, got ${keep}`);
  const processors = processorsOf(options);
  const criteria = criteriaOf(options);
  const greedy = options.temperature === 0;
  const mask = options.maskInvalid ?? true;
  const seed = options.seed ?? 0;

  const promptIds = Int32Array.from([tokenizer.bosId, ...(options.prompt ? tokenizer.encode(options.prompt) : [])]);
  const states = Array.from({ length: S }, () => new EventState(tokenizer));
  for (const st of states) for (const id of promptIds) st.push(id);
  const promptSeconds = states[0].seconds,
    promptNotes = states[0].notes;
  const samplers = Array.from(
    { length: S },
    (_, s) => new Sampler((Math.imul(seed, 0x9e3779b1) + s * 0x85ebca6b) >>> 0, greedy),
  );
  const generated: number[][] = Array.from({ length: S }, () => []);
  const history: number[][] = Array.from({ length: S }, () => Array.from(promptIds));
  const progress: StreamProgress[] = Array.from({ length: S }, () => ({
    tokens: 0,
    notes: 0,
    seconds: 0,
    ended: false,
  }));
  const active = new Array<boolean>(S).fill(true);

  const decoder = model.decoder(S, capacity);
  let slides = 0;
  const t0 = performance.now();
  // A prompt longer than the context starts as if it had slid already: its last `keep` tokens.
  let logits: Float32Array;
  if (promptIds.length > capacity) {
    logits = decoder.appendShared(promptIds.subarray(promptIds.length - keep));
    slides++;
    options.onSlide?.(promptIds.length, keep);
  } else logits = decoder.appendShared(promptIds);
  const t1 = performance.now();

  const row = new Float32Array(V);
  const next = new Int32Array(S);
  for (;;) {
    for (let s = 0; s < S; s++) {
      next[s] = tokenizer.padId;
      if (!active[s]) continue;
      row.set(logits.subarray(s * V, (s + 1) * V));
      if (mask) states[s].mask(row);
      applyProcessors(row, processors);
      let id = samplers[s].sample(row);
      if (id < 0) id = tokenizer.eosId; // every id refused (processors cut everything): end the stream
      states[s].push(id);
      generated[s].push(id);
      history[s].push(id);
      const p = progress[s];
      p.tokens++;
      p.notes = states[s].notes - promptNotes;
      p.seconds = states[s].seconds - promptSeconds;
      p.ended = states[s].ended;
      options.onToken?.(s, id, p);
      next[s] = id;
      if (shouldStop(p, criteria)) active[s] = false;
    }
    if (!active.includes(true)) break;
    if (decoder.length < capacity) {
      logits = decoder.append(next, 1);
      continue;
    }
    decoder.reset();
    const tails = new Int32Array(S * keep);
    for (let s = 0; s < S; s++) tails.set(history[s].slice(history[s].length - keep), s * keep);
    logits = decoder.append(tails, keep);
    slides++;
    options.onSlide?.(history[0].length, keep);
  }
  const t2 = performance.now();

  const samples = states.map((st, s): GeneratedSample => {
    const notes = tokenizer.base.decode(st.cleanIds());
    return {
      ids: Int32Array.from(generated[s]),
      notes,
      continuation: sliceNotes(notes, promptSeconds, Infinity),
      repairs: st.repairs,
      progress: progress[s],
    };
  });
  const total = generated.reduce((a, g) => a + g.length, 0);
  return {
    samples,
    promptIds,
    promptSeconds,
    slides,
    tokensPerSecond: total / Math.max((t2 - t1) / 1000, 1e-9),
    promptTime: (t1 - t0) / 1000,
    generateTime: (t2 - t1) / 1000,
  };
}
