// Standard MIDI File writer: Notes (+ optional CC64 pedal events) → a format-0 SMF, one tempo.
// Not a general MIDI writer: no programs, no other controllers, no tempo map, no text events.

import type { Notes, PedalEvent } from './notes.js';

/** Options of writeMidi: pedal events to include, ticks per quarter note (480), tempo in quarter notes per minute (120). */
export interface WriteMidiOptions {
  pedal?: readonly PedalEvent[];
  ppq?: number;
  tempo?: number;
}

const CHANNELS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15]; // 9 is General MIDI percussion
const OFF = 0; // event kinds, in their order at equal ticks: a re-struck pitch ends before it starts again
const PEDAL = 1;
const ON = 2;

/**
 * Encodes notes as a format-0 SMF. Times are rounded to the nearest tick; a note never gets shorter
 * than one tick (a zero-length note would vanish on reading). Overlapping notes of the same pitch
 * go to different channels, because on one channel a note-off ends every open note of its pitch
 * (channels are assigned in the order of `notes`, which the Notes contract keeps sorted by start).
 */
export function writeMidi(notes: Notes, options: WriteMidiOptions = {}): Uint8Array {
  const ppq = options.ppq ?? 480;
  const tempo = options.tempo ?? 120;
  const pedal = options.pedal ?? [];
  if (!Number.isInteger(ppq) || ppq < 1 || ppq > 0x7fff)
    throw new RangeError(`writeMidi: ppq must be an integer in 1..32767, got ${ppq}`);
  const usPerQuarter = Math.round(60e6 / tempo);
  if (!(usPerQuarter >= 1 && usPerQuarter <= 0xffffff))
    throw new RangeError(`writeMidi: tempo ${tempo} bpm is out of range`);
  const ticksPerSecond = (ppq * 1e6) / usPerQuarter;
  const toTick = (seconds: number): number => {
    if (!(seconds >= 0)) throw new RangeError(`writeMidi: negative or invalid time ${seconds}`);
    return Math.round(seconds * ticksPerSecond);
  };

  const count = 2 * notes.length + pedal.length;
  const tick = new Float64Array(count);
  const kind = new Uint8Array(count);
  const status = new Uint8Array(count);
  const data1 = new Uint8Array(count);
  const data2 = new Uint8Array(count);
  let e = 0;
  const push = (t: number, k: number, s: number, d1: number, d2: number): void => {
    tick[e] = t;
    kind[e] = k;
    status[e] = s;
    data1[e] = d1;
    data2[e++] = d2;
  };
  const busyUntil = new Float64Array(128 * 16); // per (pitch, channel): tick of the last note-off
  for (let i = 0; i < notes.length; i++) {
    const pitch = notes.pitch[i];
    if (pitch > 127) throw new RangeError(`writeMidi: pitch ${pitch} of note ${i} is out of range`);
    const on = toTick(notes.start[i]);
    const off = Math.max(toTick(notes.end[i]), on + 1);
    // More than 15 overlapping notes of one pitch share channel 0, and the first note-off ends them all.
    const channel = CHANNELS.find((c) => busyUntil[pitch * 16 + c] <= on) ?? 0;
    busyUntil[pitch * 16 + channel] = Math.max(off, busyUntil[pitch * 16 + channel]);
    push(on, ON, 0x90 | channel, pitch, Math.min(127, Math.max(1, notes.velocity[i])));
    push(off, OFF, 0x80 | channel, pitch, 0);
  }
  for (const p of pedal) push(toTick(p.time), PEDAL, 0xb0, 64, Math.min(127, Math.max(0, Math.round(p.value))));
  const order = Uint32Array.from({ length: count }, (_, i) => i).sort(
    (a, b) => tick[a] - tick[b] || kind[a] - kind[b] || a - b,
  );

  // Header 14, track header 8, tempo 7, end-of-track 4; each event at most 4 (delta) + 3 bytes.
  const out = new Uint8Array(14 + 8 + 7 + 7 * count + 4);
  const header = [0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, ppq >> 8, ppq & 0xff];
  out.set(header);
  out.set([0x4d, 0x54, 0x72, 0x6b], 14); // "MTrk", length filled in below
  let pos = 22;
  out.set([0, 0xff, 0x51, 3, usPerQuarter >> 16, (usPerQuarter >> 8) & 0xff, usPerQuarter & 0xff], pos);
  pos += 7;
  let now = 0;
  for (const i of order) {
    pos = writeVlq(out, pos, tick[i] - now);
    now = tick[i];
    out[pos++] = status[i];
    out[pos++] = data1[i];
    out[pos++] = data2[i];
  }
  out.set([0, 0xff, 0x2f, 0], pos);
  pos += 4;
  const trackLength = pos - 22;
  out.set([trackLength >>> 24, (trackLength >> 16) & 0xff, (trackLength >> 8) & 0xff, trackLength & 0xff], 18);
  return out.slice(0, pos);
}

function writeVlq(out: Uint8Array, pos: number, value: number): number {
  if (value > 0x0fffffff) throw new RangeError(`writeMidi: a gap of ${value} ticks does not fit a MIDI delta time`);
  let shift = 21;
  while (shift > 0 && value >> shift === 0) shift -= 7;
  for (; shift > 0; shift -= 7) out[pos++] = 0x80 | ((value >> shift) & 0x7f);
  out[pos++] = value & 0x7f;
  return pos;
}
