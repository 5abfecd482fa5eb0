// A BpeModel as a Hugging Face tokenizer.json (format "1.0") and back, plus motif's own metadata.
// Loadable by Hugging Face `tokenizers` (Rust, Python, Node) and by @huggingface/tokenizers / transformers.js.
// Two deliberate choices, both checked against the Rust loader:
// - the pre-tokenizer splits on "\n" then on " " only: the reference's WhitespaceSplit would also split
//   on U+0085 and U+00A0, the characters of base ids 33 and 60, and silently drop those tokens;
// - motif's metadata sits in `model.motif`: the Rust loader rejects any unknown top-level key.
import { CHAR_OFFSET, CHUNK_LENGTH, type BpeModel } from './bpe.js';

/** What motif stores beside the BPE: enough to rebuild the base scheme and to check the character mapping. */
export interface MotifMeta {
  /** Version of this metadata layout. */
  version: 1;
  /** Base scheme name and the parameters its constructor takes. */
  scheme: string;
  params: Record<string, number | string | boolean>;
  baseVocabSize: number;
  charOffset: number;
  chunkLength: number;
  maxTokenLength: number | null;
}

/** The subset of tokenizer.json that motif writes (and reads back). */
export interface TokenizerJson {
  version: '1.0';
  truncation: null;
  padding: null;
  added_tokens: Array<{
    id: number;
    content: string;
    single_word: boolean;
    lstrip: boolean;
    rstrip: boolean;
    normalized: boolean;
    special: boolean;
  }>;
  normalizer: null;
  pre_tokenizer: unknown;
  post_processor: null;
  decoder: unknown;
  model: {
    type: 'BPE';
    dropout: null;
    unk_token: null;
    continuing_subword_prefix: null;
    end_of_word_suffix: null;
    fuse_unk: boolean;
    byte_fallback: boolean;
    ignore_merges: boolean;
    vocab: Record<string, number>;
    merges: Array<[string, string]>;
    motif: MotifMeta;
  };
}

const splitOn = (s: string) => ({ type: 'Split', pattern: { String: s }, behavior: 'Removed', invert: false });

/** The tokenizer.json object of a BPE model with its metadata. */
export function toTokenizerJson(
  model: BpeModel,
  meta: Omit<MotifMeta, 'version' | 'charOffset' | 'chunkLength' | 'baseVocabSize'>,
): TokenizerJson {
  const vocab: Record<string, number> = {};
  model.tokens.forEach((t, id) => {
    if (id >= model.specialCount) vocab[t] = id;
  });
  const merges: Array<[string, string]> = [];
  for (let r = 0; r < model.merges.length / 2; r++)
    merges.push([model.tokens[model.merges[2 * r]], model.tokens[model.merges[2 * r + 1]]]);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: model.tokens.slice(0, model.specialCount).map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'Sequence', pretokenizers: [splitOn('\n'), splitOn(' ')] },
    post_processor: null,
    decoder: { type: 'Fuse' },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
      motif: {
        version: 1,
        ...meta,
        baseVocabSize: model.baseVocabSize,
        charOffset: CHAR_OFFSET,
        chunkLength: CHUNK_LENGTH,
      },
    },
  };
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Reads a tokenizer.json object written by toTokenizerJson; `source` names the file in every error. */
export function fromTokenizerJson(json: unknown, source: string): { model: BpeModel; meta: MotifMeta } {
  const fail = (why: string): never => {
    throw new Error(`${source}: not a motif tokenizer.json: ${why}`);
  };
  if (!isObject(json)) return fail('the top level is not a JSON object');
  if (json.version !== '1.0') fail(`version is ${JSON.stringify(json.version)}, expected "1.0"`);
  const m = json.model;
  if (!isObject(m) || m.type !== 'BPE') return fail('model.type is not "BPE"');
  const meta = m.motif;
  if (!isObject(meta)) return fail('model.motif (the base scheme and its parameters) is missing');
  if (meta.version !== 1) fail(`model.motif.version ${JSON.stringify(meta.version)} is not supported (expected 1)`);
  if (typeof meta.scheme !== 'string' || !isObject(meta.params)) fail('model.motif.scheme/params are missing');
  if (meta.charOffset !== CHAR_OFFSET || meta.chunkLength !== CHUNK_LENGTH) {
    fail(
      `character offset ${String(meta.charOffset)} / chunk length ${String(meta.chunkLength)} differ from this motif (${CHAR_OFFSET} / ${CHUNK_LENGTH})`,
    );
  }
  const baseVocabSize = meta.baseVocabSize;
  if (typeof baseVocabSize !== 'number' || !Number.isInteger(baseVocabSize) || baseVocabSize <= 0)
    return fail('model.motif.baseVocabSize is not a positive integer');
  if (!isObject(m.vocab) || !Array.isArray(m.merges)) return fail('model.vocab or model.merges is missing');
  if (!Array.isArray(json.added_tokens)) return fail('added_tokens is missing');

  const tokens: string[] = [];
  const place = (content: unknown, id: unknown, where: string): void => {
    if (typeof content !== 'string' || typeof id !== 'number' || !Number.isInteger(id) || id < 0)
      return fail(`${where}: bad entry ${JSON.stringify(content)} → ${JSON.stringify(id)}`);
    if (tokens[id] !== undefined && tokens[id] !== content)
      fail(`${where}: id ${id} is both ${JSON.stringify(tokens[id])} and ${JSON.stringify(content)}`);
    tokens[id] = content;
  };
  let specialCount = 0;
  for (const t of json.added_tokens) {
    if (!isObject(t)) return fail('added_tokens holds a non-object');
    place(t.content, t.id, 'added_tokens');
    if (t.id !== specialCount)
      fail(
        `added token ${JSON.stringify(t.content)} has id ${String(t.id)}; special tokens must hold ids 0..n-1 in order`,
      );
    specialCount++;
  }
  for (const [t, id] of Object.entries(m.vocab)) place(t, id, 'model.vocab');
  for (let id = 0; id < tokens.length; id++) {
    const t = tokens[id];
    if (t === undefined) fail(`no token has id ${id} (ids must be 0..${tokens.length - 1})`);
    if (id < specialCount) continue;
    for (let k = 0; k < t.length; k++) {
      const base = t.charCodeAt(k) - CHAR_OFFSET;
      if (base < 0 || base >= baseVocabSize)
        fail(`token ${id} ${JSON.stringify(t)} holds a character outside the base vocabulary`);
    }
  }
  const idOf = new Map(tokens.map((t, id) => [t, id]));
  const merges = new Int32Array(m.merges.length * 2);
  m.merges.forEach((entry: unknown, r: number) => {
    const pair = typeof entry === 'string' ? entry.split(' ') : entry;
    if (!Array.isArray(pair) || pair.length !== 2) return fail(`merge ${r} is not a pair: ${JSON.stringify(entry)}`);
    const a = idOf.get(pair[0] as string);
    const b = idOf.get(pair[1] as string);
    if (a === undefined || b === undefined || a < specialCount || b < specialCount)
      return fail(`merge ${r} ${JSON.stringify(entry)} uses a token missing from the vocabulary`);
    if (!idOf.has(tokens[a] + tokens[b]))
      fail(`merge ${r} ${JSON.stringify(entry)} makes a token missing from the vocabulary`);
    merges[2 * r] = a;
    merges[2 * r + 1] = b;
  });
  const maxTokenLength = meta.maxTokenLength;
  return {
    model: { baseVocabSize, specialCount, tokens, merges },
    meta: {
      version: 1,
      scheme: meta.scheme as string,
      params: meta.params as MotifMeta['params'],
      baseVocabSize,
      charOffset: CHAR_OFFSET,
      chunkLength: CHUNK_LENGTH,
      maxTokenLength: typeof maxTokenLength === 'number' ? maxTokenLength : null,
    },
  };
}
