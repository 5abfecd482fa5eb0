// The user-facing tokenizer: a base scheme (notes ↔ base ids) with a BPE on top (base ids ↔ model ids),
// as one Hugging Face-compatible tokenizer.json object that also records the scheme and its parameters (reading
// and writing the file is src/data/tokenizer-file.ts's).
// Special tokens hold ids 0..3: <PAD> (0), <CLS> (1, used as bos, the reference's name), <EOS> (2), <MASK> (3).
// Not a dataset: encode() adds no bos/eos; framing belongs to the data pipeline.
import type { Notes } from '../midi/notes.js';
import type { BaseTokenizer, SchemeName } from './scheme.js';
import { createScheme } from './schemes.js';
import { Kind } from './vocab-layout.js';
import { BpeCodec, type BpeModel } from './bpe.js';
import { trainBpe, type BpeTrainStats } from './bpe-train.js';
import { fromTokenizerJson, toTokenizerJson, type TokenizerJson } from './tokenizer-json.js';

/** motif's special tokens, in id order. */
export const SPECIAL_TOKENS = ['<PAD>', '<CLS>', '<EOS>', '<MASK>'] as const;
/** The reference's BPE token length limit (Hugging Face `max_token_length`). */
export const DEFAULT_MAX_TOKEN_LENGTH = 128;

/** Options of MidiTokenizer.train. */
export interface MidiTokenizerTrainOptions {
  /** Target vocabulary size, specials included (30,000 in the reference setup). */
  vocabSize: number;
  maxTokenLength?: number;
  onProgress?: (done: number, total: number) => void;
  /** Receives corpus statistics once the chunks are counted. */
  onStats?: (stats: BpeTrainStats) => void;
}

/** Base ids that every trained tokenizer can encode: all but the scheme's own `<...>` specials and placeholders. */
function musicalIds(base: BaseTokenizer): number[] {
  const ids: number[] = [];
  base.vocab.forEach((name, id) => {
    if (!(name.startsWith('<') && name.endsWith('>'))) ids.push(id);
  });
  return ids;
}

/** Notes ↔ model ids through a base scheme and a BPE. */
export class MidiTokenizer {
  /** The base scheme. */
  readonly base: BaseTokenizer;
  /** The BPE codec over the base ids. */
  readonly bpe: BpeCodec;
  private readonly maxTokenLength: number | null;
  /** Time value (before the scheme's scale) inside each id, built on first use by elapsed(). */
  private timeOf: Float64Array | undefined;
  /** Id of <PAD>. */
  readonly padId = 0;
  /** Id of <CLS>, the beginning-of-sequence token. */
  readonly bosId = 1;
  /** Id of <EOS>. */
  readonly eosId = 2;
  /** Id of <MASK>. */
  readonly maskId = 3;

  constructor(base: BaseTokenizer, model: BpeModel, maxTokenLength: number | null = DEFAULT_MAX_TOKEN_LENGTH) {
    if (model.baseVocabSize !== base.vocab.length) {
      throw new Error(
        `BPE was trained over ${model.baseVocabSize} base ids but scheme '${base.name}' has ${base.vocab.length}`,
      );
    }
    SPECIAL_TOKENS.forEach((s, id) => {
      if (model.tokens[id] !== s || model.specialCount !== SPECIAL_TOKENS.length)
        throw new Error(`BPE special tokens must be ${SPECIAL_TOKENS.join(', ')} at ids 0..3`);
    });
    this.base = base;
    this.bpe = new BpeCodec(model);
    this.maxTokenLength = maxTokenLength;
  }

  /** Trains the BPE on a corpus of performances (sustain already applied). */
  static train(base: BaseTokenizer, corpus: Iterable<Notes>, options: MidiTokenizerTrainOptions): MidiTokenizer {
    const pieces: Int32Array[] = [];
    for (const notes of corpus) pieces.push(base.encode(notes));
    return MidiTokenizer.trainOnIds(base, pieces, options);
  }

  /** Trains the BPE on pieces already encoded by `base`. */
  static trainOnIds(
    base: BaseTokenizer,
    pieces: readonly Int32Array[],
    options: MidiTokenizerTrainOptions,
  ): MidiTokenizer {
    const maxTokenLength = options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
    const model = trainBpe(
      pieces,
      {
        vocabSize: options.vocabSize,
        baseVocabSize: base.vocab.length,
        specialTokens: SPECIAL_TOKENS,
        initialAlphabet: musicalIds(base),
        maxTokenLength,
        onProgress: options.onProgress,
      },
      options.onStats,
    );
    return new MidiTokenizer(base, model, Number.isFinite(maxTokenLength) ? maxTokenLength : null);
  }

  /** The vocabulary of a BPE over `base` with no merges (specials and the base's musical tokens): the smallest one can train. */
  static minVocabSize(base: BaseTokenizer): number {
    return SPECIAL_TOKENS.length + musicalIds(base).length;
  }

  /** Number of model ids, specials included. */
  get vocabSize(): number {
    return this.bpe.vocabSize;
  }

  /** Notes → model ids (no bos/eos). */
  encode(notes: Notes): Int32Array {
    return this.bpe.encode(this.base.encode(notes));
  }

  /** Model ids → notes; special ids are skipped. */
  decode(ids: ArrayLike<number>): Notes {
    return this.base.decode(this.bpe.decode(ids));
  }

  /**
   * Seconds elapsed before each position of `ids` (length ids.length + 1; the last is the end): the time
   * tokens inside every id summed, so a position of a token stream (a window's start) is a time in the
   * performance. Special and unknown ids take no time.
   */
  elapsed(ids: ArrayLike<number>): Float64Array {
    if (!this.timeOf) {
      const { kind, value } = this.base.layout;
      this.timeOf = Float64Array.from({ length: this.vocabSize }, (_, id) =>
        this.bpe.decode([id]).reduce((t, b) => t + (kind[b] === Kind.Time ? value[b] : 0), 0),
      );
    }
    const out = new Float64Array(ids.length + 1);
    for (let i = 0; i < ids.length; i++) out[i + 1] = out[i] + (this.timeOf[ids[i]] ?? 0) * this.base.rules.scale;
    return out;
  }

  /** The Hugging Face tokenizer.json object, with the scheme and its parameters in model.motif. */
  toJSON(): TokenizerJson {
    return toTokenizerJson(this.bpe.model, {
      scheme: this.base.name,
      params: { ...this.base.params },
      maxTokenLength: this.maxTokenLength,
    });
  }

  /** Rebuilds a tokenizer from a tokenizer.json object; `source` names it in errors. */
  static fromJSON(json: unknown, source = 'tokenizer.json'): MidiTokenizer {
    const { model, meta } = fromTokenizerJson(json, source);
    let base: BaseTokenizer;
    try {
      base = createScheme(meta.scheme as SchemeName, meta.params);
    } catch (e) {
      throw new Error(`${source}: cannot rebuild base scheme '${meta.scheme}': ${(e as Error).message}`, { cause: e });
    }
    try {
      return new MidiTokenizer(base, model, meta.maxTokenLength);
    } catch (e) {
      throw new Error(`${source}: ${(e as Error).message}`, { cause: e });
    }
  }
}
