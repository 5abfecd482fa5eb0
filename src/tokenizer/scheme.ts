// The small interface every base (note-level) tokenization scheme implements.
// BPE sits on top of a scheme and only ever sees its integer ids; it lives in bpe*.ts.
import type { Notes } from '../midi/notes.js';
import type { DecodeRules } from './event-decode.js';
import type { VocabLayout } from './vocab-layout.js';

/** Names of the base schemes motif ships. */
export type SchemeName = 'exptime' | 'logbin';

/** A base tokenizer: notes ↔ integer ids over a fixed, named vocabulary. */
export interface BaseTokenizer {
  readonly name: SchemeName;
  /** Token names in id order; `vocab[id]` is the name of `id`. */
  readonly vocab: readonly string[];
  /** Id of the padding token (always 0). */
  readonly padId: number;
  /** Parameters that, given to the scheme's constructor, rebuild this exact tokenizer (stored in tokenizer.json). */
  readonly params: Readonly<Record<string, number | string | boolean>>;
  /** What each id means (note on/off of a pitch, velocity bin, time value) — for code that follows a token stream. */
  readonly layout: VocabLayout;
  /** How decode() reads the ids (seconds per time value, ties, minimum duration). */
  readonly rules: DecodeRules;
  /** Notes (sustain already applied) → ids. No bos/eos: framing belongs to the dataset. */
  encode(notes: Notes): Int32Array;
  /** Ids → notes (sorted by start, then pitch). Unknown or special ids are skipped. */
  decode(ids: ArrayLike<number>): Notes;
  /** How many of these notes encode() leaves out (pitch outside the scheme's range; see each scheme). */
  skippedNotes(notes: Notes): number;
}
