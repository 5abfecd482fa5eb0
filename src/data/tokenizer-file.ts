// tokenizer.json as the data pipeline handles it: read once as text (hashed for the shard index, sent as text to
// workers, parsed there) and written atomically. The format itself belongs to src/tokenizer/.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { MidiTokenizer } from '../tokenizer/midi-tokenizer.js';
import { writeAtomic } from '../util/atomic.js';

/** A tokenizer.json read from disk: the tokenizer, its exact text and the SHA-256 of that text. */
export interface TokenizerFile {
  readonly path: string;
  readonly text: string;
  readonly sha256: string;
  readonly tokenizer: MidiTokenizer;
}

/** Parses tokenizer.json text; `source` names it in errors. */
export function parseTokenizer(text: string, source: string): MidiTokenizer {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  return MidiTokenizer.fromJSON(json, source);
}

/** Reads and parses a tokenizer.json; errors name the file. */
export function readTokenizer(path: string): TokenizerFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${path}: cannot read tokenizer (${code === 'ENOENT' ? 'no such file' : (err as Error).message})`, { cause: err });
  }
  return { path, text, sha256: createHash('sha256').update(text).digest('hex'), tokenizer: parseTokenizer(text, path) };
}

/** Writes a tokenizer.json so that a crash never leaves a half-written file. */
export function writeTokenizer(tokenizer: MidiTokenizer, path: string): void {
  writeAtomic(path, Buffer.from(`${JSON.stringify(tokenizer.toJSON())}\n`));
}

/** The special ids every MidiTokenizer has, by role (recorded in shard indexes for the trainer). */
export function specialIds(tokenizer: MidiTokenizer): Record<string, number> {
  return { pad: tokenizer.padId, bos: tokenizer.bosId, eos: tokenizer.eosId, mask: tokenizer.maskId };
}
