// Standard MIDI File reader: bytes → Performance (notes in seconds, CC64 pedal events, warnings).
// Written by hand because @tonejs/midi builds an object per event and pairs notes in O(n²) per
// track; this one reads straight into typed arrays (bench/midi-read.mjs measures both).
// It keeps the notes and pedal of the instruments a policy keeps (instruments.ts), merged over
// channels and tracks into one piano, and timing; it does not apply the pedal (sustain.ts) and
// keeps no other controllers and no text.

import { MidiError } from './errors.js';
import {
  DEFAULT_INSTRUMENTS,
  DRUM_CHANNEL,
  NOTHING_DROPPED,
  isPianoNote,
  type DroppedNotes,
  type InstrumentPolicy,
  type IgnoredPedal,
} from './instruments.js';
import { allocNotes, type Notes, type PedalEvent, type Performance } from './notes.js';

/** Largest file accepted (256 MiB); a long piano performance is well under 1 MiB. */
export const MAX_MIDI_BYTES = 256 * 1024 * 1024;
/** Longest span accepted (24 h); a file claiming more has garbage delta times. */
export const MAX_MIDI_SECONDS = 24 * 3600;

const DEFAULT_TEMPO = 500_000; // µs per quarter note (120 bpm) until the first tempo event
const MAX_TICK = 2 ** 48; // beyond this, tick arithmetic in doubles stops being exact
const OPEN = -1; // endTick of a note still waiting for its note-off
const DROPPED = -2; // endTick of a zero-length note (see pairing below)
const LEFT_OUT = -3; // endTick of a note the instrument policy does not keep
const LOWEST_KEY = 21; // A0 and C8: the piano's keyboard
const HIGHEST_KEY = 108;
const MTHD = 0x4d546864;
const MTRK = 0x4d54726b;

/** Options of {@link readMidi}. */
export interface ReadMidiOptions {
  /** Which notes and pedal events to keep (default {@link DEFAULT_INSTRUMENTS}: the pianos). */
  readonly instruments?: InstrumentPolicy;
}

/** Reads a Standard MIDI File (format 0, 1 or 2); throws MidiError naming `name` and the problem. */
export function readMidi(bytes: Uint8Array, name: string, options: ReadMidiOptions = {}): Performance {
  return new SmfReader(bytes, name, options.instruments ?? DEFAULT_INSTRUMENTS).read();
}

// Growable typed arrays, kept across calls (one set per thread: each worker has its own module
// instance), so that reading a corpus allocates little per file beyond its output.
let cap = 0; // notes
let startTick = new Float64Array(0);
let endTick = new Float64Array(0);
let startSec = new Float64Array(0);
let endSec = new Float64Array(0);
let pitchOf = new Uint8Array(0);
let velocityOf = new Uint8Array(0);
let trackOf = new Uint16Array(0);
let channelOf = new Uint8Array(0);
let nextOpen = new Int32Array(0); // links the open notes of one (channel, pitch) key
let order = new Uint32Array(0);
let merged = new Uint32Array(0);
const openHead = new Int32Array(16 * 128).fill(-1); // per (channel, pitch): last opened note, or -1
let pedalCap = 0;
let pedalTick = new Float64Array(0);
let pedalValue = new Uint8Array(0);
let pedalTrack = new Uint16Array(0);
let pedalChannel = new Uint8Array(0);

function widen<T extends Float64Array | Uint8Array | Uint16Array | Int32Array | Uint32Array>(old: T, bigger: T): T {
  bigger.set(old);
  return bigger;
}

function growNotes(need: number): void {
  cap = Math.max(need, cap * 2, 1024);
  startTick = widen(startTick, new Float64Array(cap));
  endTick = widen(endTick, new Float64Array(cap));
  startSec = new Float64Array(cap);
  endSec = new Float64Array(cap);
  pitchOf = widen(pitchOf, new Uint8Array(cap));
  velocityOf = widen(velocityOf, new Uint8Array(cap));
  trackOf = widen(trackOf, new Uint16Array(cap));
  channelOf = widen(channelOf, new Uint8Array(cap));
  nextOpen = widen(nextOpen, new Int32Array(cap));
  order = new Uint32Array(cap);
  merged = new Uint32Array(cap);
}

function growPedal(need: number): void {
  pedalCap = Math.max(need, pedalCap * 2, 1024);
  pedalTick = widen(pedalTick, new Float64Array(pedalCap));
  pedalValue = widen(pedalValue, new Uint8Array(pedalCap));
  pedalTrack = widen(pedalTrack, new Uint16Array(pedalCap));
  pedalChannel = widen(pedalChannel, new Uint8Array(pedalCap));
}

/** A tempo map: piecewise-linear ticks → seconds. */
class TempoMap {
  private readonly tick: number[] = [0];
  private readonly sec: number[] = [0];
  private readonly spt: number[]; // seconds per tick from tick[i] on

  constructor(secondsPerTick: number) {
    this.spt = [secondsPerTick];
  }

  /** Sets the rate from `at` on (ticks must come in non-decreasing order; a later event at the same tick wins). */
  change(at: number, secondsPerTick: number): void {
    const last = this.tick.length - 1;
    if (at === this.tick[last]) {
      this.spt[last] = secondsPerTick;
    } else {
      this.sec.push(this.seconds(at));
      this.tick.push(at);
      this.spt.push(secondsPerTick);
    }
  }

  /** Converts ticks[from, to) into out[from, to). */
  convert(ticks: Float64Array, out: Float64Array, from: number, to: number): void {
    if (this.tick.length === 1) {
      const spt = this.spt[0];
      for (let i = from; i < to; i++) out[i] = ticks[i] * spt;
    } else {
      for (let i = from; i < to; i++) out[i] = this.seconds(ticks[i]);
    }
  }

  seconds(t: number): number {
    const tick = this.tick;
    let i = tick.length - 1;
    if (i > 0 && t < tick[i]) {
      let lo = 0;
      while (lo < i) {
        const mid = (lo + i + 1) >> 1;
        if (tick[mid] <= t) lo = mid;
        else i = mid - 1;
      }
    }
    return this.sec[i] + (t - tick[i]) * this.spt[i];
  }
}

class SmfReader {
  private pos = 0;
  private track = 0; // index of the MTrk chunk being read
  private notes = 0; // notes (slots) so far
  private zeroLength = 0;
  private readonly warnings: string[] = [];
  private readonly lastTick: number[] = []; // per track: tick of its last event
  private readonly tempos: Array<{ tick: number; usPerQuarter: number; track: number }> = [];
  private readonly programs: Array<{ tick: number; track: number; channel: number; program: number }> = [];
  private pedals = 0; // pedal events so far

  constructor(
    private readonly b: Uint8Array,
    private readonly name: string,
    private readonly policy: InstrumentPolicy,
  ) {}

  read(): Performance {
    const b = this.b;
    const len = b.length;
    if (len === 0) this.fail('empty file (0 bytes)');
    if (len > MAX_MIDI_BYTES) this.fail(`file too large (${len} bytes; the limit is ${MAX_MIDI_BYTES / 2 ** 20} MiB)`);
    if (len < 4 || this.u32(0) !== MTHD) this.fail('not a MIDI file (no MThd header)');
    if (len < 14) this.fail(`truncated header (${len} bytes)`);
    const headerLength = this.u32(4);
    if (headerLength < 6) this.fail(`header chunk too short (${headerLength} bytes, need 6)`);
    if (8 + headerLength > len) this.fail(`truncated header (declares ${headerLength} bytes, file has ${len - 8})`);
    const format = this.u16(8);
    if (format > 2) this.fail(`unknown SMF format ${format}`);
    const declaredTracks = this.u16(10);
    const division = this.u16(12);

    let secondsPerTick = 0; // SMPTE: fixed; PPQ: set per tempo
    let ppq = 0;
    let divisionOut: number;
    if (division & 0x8000) {
      const fps = 256 - (division >> 8);
      const ticksPerFrame = division & 0xff;
      if (![24, 25, 29, 30].includes(fps)) this.fail(`invalid SMPTE frame rate ${fps}`);
      if (ticksPerFrame === 0) this.fail('SMPTE division with 0 ticks per frame');
      const ticksPerSecond = (fps === 29 ? 29.97 : fps) * ticksPerFrame; // 29 means 30 drop-frame
      secondsPerTick = 1 / ticksPerSecond;
      divisionOut = -ticksPerSecond;
    } else {
      if (division === 0) this.fail('division of 0 ticks per quarter note');
      ppq = division;
      divisionOut = ppq;
    }

    this.pos = 8 + headerLength;
    while (this.pos < len) {
      const at = this.pos;
      if (len - at < 8) {
        if (this.track < declaredTracks) this.fail(`truncated file: track ${this.track} cut at byte ${len}`);
        this.warn(`${len - at} trailing bytes after the last chunk ignored`);
        break;
      }
      const id = this.u32(at);
      const chunkLength = this.u32(at + 4);
      if (id === MTRK) {
        this.readTrack(at + 8, chunkLength);
        this.track++;
      } else if (isChunkId(b, at)) {
        // Unknown chunks are allowed by the standard and skipped.
        if (at + 8 + chunkLength > len) {
          this.warn(`unknown chunk at byte ${at} runs past the end of the file; ignored`);
          break;
        }
        this.pos = at + 8 + chunkLength;
      } else if (this.track >= declaredTracks && this.track > 0) {
        this.warn(`${len - at} trailing bytes after the last track ignored`);
        break;
      } else {
        this.fail(`garbage bytes at byte ${at} where track ${this.track} should start`);
      }
    }
    if (this.track < declaredTracks)
      this.fail(`truncated file: header declares ${declaredTracks} tracks, found ${this.track}`);
    if (this.track > declaredTracks) this.warn(`header declares ${declaredTracks} tracks, found ${this.track}`);
    if (format === 0 && this.track > 1) this.warn(`format 0 with ${this.track} tracks; read as format 1`);

    const maps = this.tempoMaps(format, ppq, secondsPerTick);
    let duration = 0;
    this.lastTick.forEach((tick, track) => {
      const seconds = maps[format === 2 ? track : 0].seconds(tick);
      if (seconds > MAX_MIDI_SECONDS) {
        this.fail(
          `absurd time: track ${track} lasts ${(seconds / 3600).toFixed(1)} h (limit ${MAX_MIDI_SECONDS / 3600} h); delta times are probably garbage`,
        );
      }
      duration = Math.max(duration, seconds);
    });
    if (this.zeroLength > 0) this.warn(`${this.zeroLength} zero-length notes dropped`);

    const piano = this.policy === 'all' ? undefined : this.leaveOutNonPiano(format);
    const notes = this.collectNotes(maps);
    let offKeyboard = 0;
    for (let i = 0; i < notes.length; i++)
      if (notes.pitch[i] < LOWEST_KEY || notes.pitch[i] > HIGHEST_KEY) offKeyboard++;
    if (offKeyboard > 0) this.warn(`${offKeyboard} notes outside the piano's range ${LOWEST_KEY}..${HIGHEST_KEY}`);
    const { pedal, ignored } = this.collectPedal(maps, piano?.playing);
    return {
      notes,
      pedal,
      duration,
      format: format as 0 | 1 | 2,
      division: divisionOut,
      warnings: this.warnings,
      dropped: piano ? { notes: piano.dropped, pedal: ignored } : NOTHING_DROPPED,
    };
  }

  /**
   * One MTrk chunk. Notes are paired as pretty_midi does (the reference data was made with it,
   * through fortepyan): per track, key (channel, pitch); a note-on with velocity > 0 opens a note;
   * a note-off (or note-on with velocity 0) closes EVERY open note of its key that started at an
   * earlier tick, all ending at this tick; notes opened at this very tick stay open if anything was
   * closed, and are dropped otherwise (so an on and off at the same tick make no note, and a
   * zero-length note never exists). A note-off with nothing open is ignored. Unlike pretty_midi,
   * which drops them silently, notes still open at the end of the track are closed there, with a warning.
   */
  private readTrack(from: number, chunkLength: number): void {
    const b = this.b;
    const declaredEnd = from + chunkLength;
    const end = Math.min(declaredEnd, b.length);
    const track = this.track;
    openHead.fill(-1); // a file that failed half-way may have left notes open
    let pos = from;
    let tick = 0;
    let status = 0; // running status: kept across meta and sysex events, as mido and tonejs do
    let sawEndOfTrack = false;
    while (pos < end) {
      const c = b[pos++];
      if (c & 0x80) {
        this.pos = pos - 1;
        tick += this.vlq(end);
        pos = this.pos;
      } else {
        tick += c;
      }
      if (pos >= end) this.truncated(end);
      let st = b[pos];
      if (st & 0x80) {
        pos++;
        if (st < 0xf0) status = st;
      } else if (status === 0) {
        this.fail(`data byte 0x${hex(st)} without a status byte in track ${track} at byte ${pos}`);
      } else {
        st = status;
      }
      if (st < 0xf0) {
        const kind = st & 0xf0;
        const size = kind === 0xc0 || kind === 0xd0 ? 1 : 2;
        if (pos + size > end) this.truncated(end);
        const d1 = b[pos];
        const d2 = size === 2 ? b[pos + 1] : 0;
        if ((d1 | d2) & 0x80) {
          const at = d1 & 0x80 ? pos : pos + 1;
          this.fail(`garbage in track ${track} at byte ${at}: data byte 0x${hex(b[at])} after status 0x${hex(st)}`);
        }
        pos += size;
        const channel = st & 0x0f;
        const key = (channel << 7) | d1;
        if (kind === 0x90 && d2 > 0) this.noteOn(key, tick, d1, d2);
        else if (kind === 0x80 || kind === 0x90) this.noteOff(key, tick);
        else if (kind === 0xb0 && d1 === 64) this.pedal(tick, d2, channel);
        else if (kind === 0xc0) this.programs.push({ tick, track, channel, program: d1 });
      } else if (st === 0xff || st === 0xf0 || st === 0xf7) {
        if (pos >= end) this.truncated(end);
        const type = st === 0xff ? b[pos++] : -1;
        this.pos = pos;
        const size = this.vlq(end);
        pos = this.pos;
        if (pos + size > end) this.truncated(end);
        if (type === 0x51) this.tempo(tick, pos, size);
        pos += size;
        if (type === 0x2f) {
          sawEndOfTrack = true;
          break;
        }
      } else {
        this.fail(`invalid status byte 0x${hex(st)} in track ${track} at byte ${pos - 1}`);
      }
    }
    if (tick > MAX_TICK) this.fail(`absurd time: track ${track} spans ${tick} ticks; delta times are probably garbage`);
    if (declaredEnd > b.length) {
      if (!sawEndOfTrack) this.truncated(end);
      this.warn(
        `track ${track} declares ${chunkLength} bytes but the file ends at byte ${b.length}; read up to its end-of-track`,
      );
    } else if (!sawEndOfTrack) {
      this.warn(`track ${track} has no end-of-track event`);
    } else if (pos < declaredEnd) {
      this.warn(`${declaredEnd - pos} bytes after the end-of-track of track ${track} ignored`);
    }
    this.pos = declaredEnd;
    this.lastTick.push(tick);
    this.closeOpenNotes(tick);
  }

  private noteOn(key: number, tick: number, pitch: number, velocity: number): void {
    const n = this.notes++;
    if (n >= cap) growNotes(n + 1);
    startTick[n] = tick;
    endTick[n] = OPEN;
    pitchOf[n] = pitch;
    velocityOf[n] = velocity;
    trackOf[n] = this.track;
    channelOf[n] = key >> 7;
    nextOpen[n] = openHead[key];
    openHead[key] = n;
  }

  private noteOff(key: number, tick: number): void {
    let kept = -1;
    let closed = 0;
    for (let n = openHead[key]; n >= 0;) {
      const next = nextOpen[n];
      if (startTick[n] !== tick) {
        endTick[n] = tick;
        closed++;
      } else {
        nextOpen[n] = kept;
        kept = n;
      }
      n = next;
    }
    if (closed === 0) {
      for (let n = kept; n >= 0; n = nextOpen[n]) endTick[n] = DROPPED;
      this.zeroLength += countList(kept);
      kept = -1;
    }
    openHead[key] = kept;
  }

  private closeOpenNotes(tick: number): void {
    let unclosed = 0;
    for (let key = 0; key < openHead.length; key++) {
      if (openHead[key] < 0) continue;
      unclosed += countList(openHead[key]);
      this.noteOff(key, tick);
      this.zeroLength += countList(openHead[key]); // opened at the very last tick: nothing to close them to
      for (let n = openHead[key]; n >= 0; n = nextOpen[n]) endTick[n] = DROPPED;
      openHead[key] = -1;
    }
    if (unclosed > 0)
      this.warn(`${unclosed} notes without a note-off in track ${this.track}, closed at the end of the track`);
  }

  private pedal(tick: number, value: number, channel: number): void {
    const n = this.pedals++;
    if (n >= pedalCap) growPedal(n + 1);
    pedalTick[n] = tick;
    pedalValue[n] = value;
    pedalTrack[n] = this.track;
    pedalChannel[n] = channel;
  }

  private tempo(tick: number, at: number, size: number): void {
    const b = this.b;
    const usPerQuarter = size === 3 ? (b[at] << 16) | (b[at + 1] << 8) | b[at + 2] : 0;
    if (usPerQuarter === 0) this.warn(`invalid tempo event in track ${this.track} at byte ${at} ignored`);
    else this.tempos.push({ tick, usPerQuarter, track: this.track });
  }

  /**
   * Tempo maps: in formats 0 and 1 one map merged from the tempo events of all tracks (pretty_midi
   * reads only track 0, with a warning; the ASAP files keep their tempos there); in format 2 one
   * map per track, since each track is an independent sequence. SMPTE timing ignores tempo events.
   */
  private tempoMaps(format: number, ppq: number, smpteSecondsPerTick: number): TempoMap[] {
    const tracks = format === 2 ? this.track : 1;
    if (ppq === 0) return Array.from({ length: Math.max(tracks, 1) }, () => new TempoMap(smpteSecondsPerTick));
    const maps = Array.from({ length: Math.max(tracks, 1) }, () => new TempoMap(DEFAULT_TEMPO / 1e6 / ppq));
    const events = this.tempos.slice().sort((x, y) => x.tick - y.tick || x.track - y.track);
    for (const e of events) maps[format === 2 ? e.track : 0].change(e.tick, e.usPerQuarter / 1e6 / ppq);
    return maps;
  }

  /** Notes in seconds, sorted by start then pitch (then note-on order). */
  private collectNotes(maps: TempoMap[]): Notes {
    // Within a track, notes sit in note-on order, i.e. by start; only chords need reordering by
    // pitch (insertion sort, cheap on such data). Tracks are then merged pairwise.
    let count = 0;
    let runStart = 0;
    const runEnd: number[] = [];
    if (maps.length === 1) {
      maps[0].convert(startTick, startSec, 0, this.notes);
      maps[0].convert(endTick, endSec, 0, this.notes);
    } else {
      for (let n = 0; n < this.notes; n++) {
        startSec[n] = maps[trackOf[n]].seconds(startTick[n]);
        endSec[n] = maps[trackOf[n]].seconds(endTick[n]);
      }
    }
    for (let n = 0; n < this.notes; n++) {
      if (endTick[n] < 0) continue;
      if (count > 0 && trackOf[n] !== trackOf[order[count - 1]]) runEnd.push((runStart = count));
      let k = count++;
      for (; k > runStart && notePrecedes(n, order[k - 1]); k--) order[k] = order[k - 1];
      order[k] = n;
    }
    runEnd.push(count);
    for (let r = 1; r < runEnd.length; r++) {
      mergeRuns(order, merged, runEnd[r - 1], runEnd[r]);
      order.set(merged.subarray(0, runEnd[r]));
    }
    const notes = allocNotes(count);
    for (let k = 0; k < count; k++) {
      const n = order[k];
      notes.pitch[k] = pitchOf[n];
      notes.velocity[k] = velocityOf[n];
      notes.start[k] = startSec[n];
      notes.end[k] = endSec[n];
    }
    return notes;
  }

  /**
   * Leaves out the notes the 'piano' policy does not keep: those on the drum channel, and those whose
   * channel's program at their start is not a piano. Programs are set per channel for the whole file
   * (a conductor track may set them for every channel), per track too in format 2, whose tracks are
   * separate sequences; a change applies from its tick on. Returns what was left out, and which
   * channels play piano (kept a note): only their pedal sustains the piano.
   */
  private leaveOutNonPiano(format: number): { dropped: DroppedNotes[]; playing: Uint8Array } {
    const voice = (track: number, channel: number): number => (format === 2 ? track * 16 + channel : channel);
    const changes = new Map<number, { tick: number[]; program: number[] }>();
    // Sorted by tick, then track (a stable sort keeps file order within one): a later change at the same tick wins.
    for (const c of this.programs.slice().sort((x, y) => x.tick - y.tick || x.track - y.track)) {
      const v = voice(c.track, c.channel);
      const list = changes.get(v) ?? { tick: [], program: [] };
      list.tick.push(c.tick);
      list.program.push(c.program);
      changes.set(v, list);
    }
    const left = new Map<number, number>(); // channel * 256 + program (255 on the drum channel) → notes
    const playing = new Uint8Array(16);
    for (let n = 0; n < this.notes; n++) {
      if (endTick[n] < 0) continue;
      const channel = channelOf[n];
      const program = channel === DRUM_CHANNEL ? 255 : programAt(changes.get(voice(trackOf[n], channel)), startTick[n]);
      if (isPianoNote(channel, program)) {
        playing[channel] = 1;
      } else {
        endTick[n] = LEFT_OUT;
        const key = channel * 256 + program;
        left.set(key, (left.get(key) ?? 0) + 1);
      }
    }
    const dropped = [...left.keys()]
      .sort((x, y) => x - y)
      .map((key) => {
        const program = key & 255;
        return { channel: (key >> 8) + 1, program: program === 255 ? null : program + 1, notes: left.get(key)! };
      });
    return { dropped, playing };
  }

  /**
   * CC64 events in seconds, sorted by time (ties keep file order): of all tracks and channels, or,
   * given the channels that play piano, of those only. A piano has one pedal lifting every damper,
   * so a press on any of its channels (a file may give each hand a channel) sustains all its notes;
   * one on the drums, another instrument or an empty channel sustains nothing and is counted in `ignored`.
   */
  private collectPedal(maps: TempoMap[], playing?: Uint8Array): { pedal: PedalEvent[]; ignored: IgnoredPedal[] } {
    const pedal: PedalEvent[] = [];
    const ignored = new Uint32Array(16);
    let sorted = true;
    let last = 0;
    for (let i = 0; i < this.pedals; i++) {
      if (playing && !playing[pedalChannel[i]]) {
        ignored[pedalChannel[i]]++;
        continue;
      }
      const time = maps[maps.length === 1 ? 0 : pedalTrack[i]].seconds(pedalTick[i]);
      pedal.push({ time, value: pedalValue[i] });
      if (time < last) sorted = false;
      last = time;
    }
    if (!sorted) pedal.sort((x, y) => x.time - y.time);
    const channels = Array.from(ignored.keys()).filter((c) => ignored[c] > 0);
    return { pedal, ignored: channels.map((c) => ({ channel: c + 1, events: ignored[c] })) };
  }

  private vlq(end: number): number {
    const b = this.b;
    let value = 0;
    for (let i = 0; i < 4; i++) {
      if (this.pos >= end) this.truncated(end);
      const c = b[this.pos++];
      value = (value << 7) | (c & 0x7f);
      if ((c & 0x80) === 0) return value;
    }
    return this.fail(`variable-length quantity longer than 4 bytes in track ${this.track} at byte ${this.pos - 4}`);
  }

  private truncated(end: number): never {
    return this.fail(`truncated track ${this.track} at byte ${end}`);
  }

  private fail(problem: string): never {
    throw new MidiError(this.name, problem);
  }

  private warn(problem: string): void {
    this.warnings.push(`${this.name}: ${problem}`);
  }

  private u32(at: number): number {
    const b = this.b;
    return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
  }

  private u16(at: number): number {
    return (this.b[at] << 8) | this.b[at + 1];
  }
}

/** Whether note n sorts before note m: by start, then pitch (equal notes keep their order). */
function notePrecedes(n: number, m: number): boolean {
  return startSec[n] < startSec[m] || (startSec[n] === startSec[m] && pitchOf[n] < pitchOf[m]);
}

/** Merges the sorted runs src[0, mid) and src[mid, end) into dst[0, end). */
function mergeRuns(src: Uint32Array, dst: Uint32Array, mid: number, end: number): void {
  let i = 0;
  let j = mid;
  let k = 0;
  while (i < mid && j < end) dst[k++] = notePrecedes(src[j], src[i]) ? src[j++] : src[i++];
  while (i < mid) dst[k++] = src[i++];
  while (j < end) dst[k++] = src[j++];
}

/** The program in force at `tick` given a voice's changes (sorted by tick); GM's program 0 before any. */
function programAt(changes: { tick: number[]; program: number[] } | undefined, tick: number): number {
  if (!changes) return 0;
  let lo = 0;
  let hi = changes.tick.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (changes.tick[mid] <= tick) lo = mid + 1;
    else hi = mid - 1;
  }
  return hi < 0 ? 0 : changes.program[hi];
}

function countList(head: number): number {
  let count = 0;
  for (let n = head; n >= 0; n = nextOpen[n]) count++;
  return count;
}

function isChunkId(b: Uint8Array, at: number): boolean {
  for (let i = at; i < at + 4; i++) if (b[i] < 0x20 || b[i] > 0x7e) return false;
  return true;
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0').toUpperCase();
}
