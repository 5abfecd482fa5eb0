// Follows a stream of model ids the way the scheme's decoder will read them (which pitches sound, how
// much time has passed, how many notes began) so that generation can (1) mask ids whose note events
// cannot follow — a NOTE_OFF of a pitch that is not sounding, a NOTE_ON of one that is — and (2) repair
// and count whatever still arrives (an unmasked sampler, a hand-made stream), then close the notes
// still sounding at the end. Its clean base ids decode to valid notes. Not a note decoder itself:
// MidiTokenizer.base.decode reads cleanIds().
import type { MidiTokenizer } from '../tokenizer/midi-tokenizer.js';
import { Kind } from '../tokenizer/vocab-layout.js';

/**
 * Per model id, its base events (events[start[id] .. start[id + 1]) are base ids) and what it needs of
 * the state, as 128-bit pitch sets (WORDS uint32 per id): the first event of the id on a pitch decides
 * it — a NOTE_ON needs the pitch silent, a NOTE_OFF needs it sounding (and, with reordered ties and no
 * time token before it in the id, not struck at the current time); later events on that pitch follow
 * from the first, so an id that contradicts itself is refused whatever the state (`never`).
 */
interface Expansions {
  start: Int32Array;
  events: Int32Array;
  needSounding: Uint32Array;
  needSilent: Uint32Array;
  needNotStruckNow: Uint32Array;
  never: Uint8Array;
  /** Base id of NOTE_OFF_p per pitch p (-1 outside the scheme's range). */
  offId: Int32Array;
}

const WORDS = 4; // 128 pitches
const bit = (p: number): number => 1 << (p & 31);

const cache = new WeakMap<MidiTokenizer, Expansions>();

function expansions(tokenizer: MidiTokenizer): Expansions {
  let e = cache.get(tokenizer);
  if (e) return e;
  const V = tokenizer.vocabSize,
    specials = tokenizer.bpe.model.specialCount;
  const { kind, value } = tokenizer.base.layout;
  const reorder = tokenizer.base.rules.reorderTies;
  const start = new Int32Array(V + 1);
  const parts: Int32Array[] = [];
  const needSounding = new Uint32Array(V * WORDS),
    needSilent = new Uint32Array(V * WORDS),
    needNotStruckNow = new Uint32Array(V * WORDS);
  const never = new Uint8Array(V);
  let total = 0;
  const open = new Int8Array(128),
    struckAt = new Int32Array(128);
  for (let id = 0; id < V; id++) {
    start[id] = total;
    const base = id < specials ? new Int32Array(0) : tokenizer.bpe.decode([id]);
    open.fill(-1); // -1: not touched by this id yet; else 0/1 after its events so far
    let group = 0; // time tokens seen so far in this id
    for (const b of base) {
      const p = value[b],
        w = id * WORDS + (p >> 5);
      if (kind[b] === Kind.Time) group++;
      else if (kind[b] === Kind.On) {
        if (open[p] === -1) needSilent[w] |= bit(p);
        else if (open[p] === 1) never[id] = 1;
        open[p] = 1;
        struckAt[p] = group;
      } else if (kind[b] === Kind.Off) {
        if (open[p] === -1) {
          needSounding[w] |= bit(p);
          if (reorder && group === 0) needNotStruckNow[w] |= bit(p);
        } else if (open[p] === 0 || (reorder && struckAt[p] === group)) never[id] = 1;
        open[p] = 0;
      }
    }
    parts.push(base);
    total += base.length;
  }
  start[V] = total;
  const events = new Int32Array(total);
  parts.forEach((p, id) => events.set(p, start[id]));
  const offId = new Int32Array(128).fill(-1);
  kind.forEach((k, b) => {
    if (k === Kind.Off) offId[value[b]] = b;
  });
  e = { start, events, needSounding, needSilent, needNotStruckNow, never, offId };
  cache.set(tokenizer, e);
  return e;
}

/** The musical state after the ids pushed so far, with the repairs they needed. */
export class EventState {
  /** Notes begun so far. */
  notes = 0;
  /** Repairs so far: events dropped or notes ended early because the stream could not be read as it was. */
  repairs = 0;
  /** True once <EOS> was pushed. */
  ended = false;
  private readonly x: Expansions;
  private readonly kind: Uint8Array;
  private readonly value: Float64Array;
  private readonly reorder: boolean;
  private readonly open = new Uint8Array(128);
  // Pitches opened since the last time token: with reordered ties the decoder applies a group's offs
  // before its ons, so such a note cannot be closed (or struck again) before time moves on.
  private readonly openedNow = new Uint8Array(128);
  // The same two sets as bits, for allows().
  private readonly openBits = new Uint32Array(WORDS);
  private readonly nowBits = new Uint32Array(WORDS);
  private readonly out: number[] = [];
  private time = 0;
  private pushed = 0;

  constructor(private readonly tokenizer: MidiTokenizer) {
    this.x = expansions(tokenizer);
    this.kind = tokenizer.base.layout.kind;
    this.value = tokenizer.base.layout.value;
    this.reorder = tokenizer.base.rules.reorderTies;
  }

  /** Seconds of music so far (the onset time the next note would get). */
  get seconds(): number {
    return this.time * this.tokenizer.base.rules.scale;
  }

  /** Pitches sounding now. */
  get sounding(): number {
    let n = 0;
    for (let p = 0; p < 128; p++) n += this.open[p];
    return n;
  }

  /** Whether `id` can follow without a repair (special ids other than <EOS> never can). */
  allows(id: number): boolean {
    if (id === this.tokenizer.eosId) return true;
    const x = this.x;
    if (!(id >= this.tokenizer.bpe.model.specialCount && id < x.never.length) || x.never[id]) return false;
    const o = this.openBits,
      n = this.nowBits;
    for (let w = 0, i = id * WORDS; w < WORDS; w++, i++) {
      if ((x.needSounding[i] & ~o[w]) | (x.needSilent[i] & o[w]) | (x.needNotStruckNow[i] & n[w])) return false;
    }
    return true;
  }

  /** Sets the logit of every id that cannot follow to -Infinity (one stream's row of V). */
  mask(logits: Float32Array): void {
    // allows() unrolled over the four words: this runs for every id at every step of every stream.
    const { needSounding: a, needSilent: b, needNotStruckNow: c, never } = this.x;
    const [o0, o1, o2, o3] = this.openBits,
      [n0, n1, n2, n3] = this.nowBits;
    const specials = this.tokenizer.bpe.model.specialCount,
      eos = this.tokenizer.eosId;
    for (let id = 0, i = 0; id < logits.length; id++, i += WORDS) {
      if (id === eos) continue;
      const refused =
        id < specials ||
        id >= never.length ||
        never[id] ||
        (a[i] & ~o0) |
          (b[i] & o0) |
          (c[i] & n0) |
          (a[i + 1] & ~o1) |
          (b[i + 1] & o1) |
          (c[i + 1] & n1) |
          (a[i + 2] & ~o2) |
          (b[i + 2] & o2) |
          (c[i + 2] & n2) |
          (a[i + 3] & ~o3) |
          (b[i + 3] & o3) |
          (c[i + 3] & n3);
      if (refused) logits[id] = -Infinity;
    }
  }

  /** Reads one model id: its events join the clean stream, repaired where they cannot follow. */
  push(id: number): void {
    const first = this.pushed++ === 0;
    if (id === this.tokenizer.eosId) {
      this.ended = true;
      return;
    }
    if (id === this.tokenizer.bosId && first) return;
    if (!(id >= this.tokenizer.bpe.model.specialCount && id < this.x.never.length)) {
      this.repairs++;
      return;
    }
    const { start, events, offId } = this.x;
    for (let k = start[id]; k < start[id + 1]; k++) {
      const b = events[k],
        kind = this.kind[b],
        p = this.value[b];
      if (kind === Kind.Time) {
        this.time += p;
        this.openedNow.fill(0);
        this.nowBits.fill(0);
      } else if (kind === Kind.On) {
        if (this.open[p]) {
          this.repairs++;
          if (this.reorder && this.openedNow[p]) continue; // struck twice at one time: keep the first
          this.out.push(offId[p]); // struck again while sounding: end it first
        }
        this.open[p] = 1;
        this.openedNow[p] = 1;
        this.openBits[p >> 5] |= bit(p);
        this.nowBits[p >> 5] |= bit(p);
        this.notes++;
      } else if (kind === Kind.Off) {
        if (!this.open[p] || (this.reorder && this.openedNow[p])) {
          this.repairs++;
          continue;
        }
        this.open[p] = 0;
        this.openBits[p >> 5] &= ~bit(p);
      }
      this.out.push(b);
    }
  }

  /** The base ids read so far, repaired, with every note still sounding closed one time step later. */
  cleanIds(): Int32Array {
    const tail: number[] = [];
    if (this.sounding > 0) {
      tail.push(this.tokenizer.base.layout.timeBase); // the smallest time token
      for (let p = 0; p < 128; p++) if (this.open[p]) tail.push(this.x.offId[p]);
    }
    return Int32Array.from([...this.out, ...tail]);
  }
}
