// Test fixture: a small format-1 file where a piano plays with a drum kit and a violin, the violin's
// channel carrying a sustain pedal; what each instrument policy must keep of it. Hand-built with smf.ts
// so the tests state exactly what the file holds.
import { ev, smf, track } from './smf.js';

/** Ticks per quarter note; at the default 120 bpm one tick is 5 ms. */
const PPQ = 100;
/** Seconds of `tick` at the default tempo. */
export const bandSeconds = (tick: number): number => (tick * 0.5) / PPQ;

/** [pitch, startTick, endTick] of the piano (channel 1, no program change: GM's program 1, a piano). */
export const BAND_PIANO: ReadonlyArray<readonly [number, number, number]> = [
  [60, 0, 100],
  [64, 100, 200],
  [67, 200, 300],
  [72, 300, 400],
];
/** Drum notes on channel 10 (the kit set to program 1, still drums). */
export const BAND_DRUMS: ReadonlyArray<readonly [number, number, number]> = [
  [36, 0, 10],
  [36, 100, 110],
  [36, 200, 210],
  [36, 300, 310],
];
/** Violin notes on channel 2 (program 41, set by the conductor track). */
export const BAND_VIOLIN: ReadonlyArray<readonly [number, number, number]> = [
  [76, 0, 150],
  [79, 150, 300],
  [81, 300, 400],
];
/** The violin channel's pedal: down at this tick, up at the next. */
export const BAND_PEDAL = [50, 350] as const;
/** Velocity of every note. */
export const BAND_VELOCITY = 80;

/** Note-on/off events on `channel` (0-based) for [pitch, start, end] notes, as one track's delta-timed events. */
function notes(channel: number, list: ReadonlyArray<readonly [number, number, number]>): number[][] {
  const events = list.flatMap(([pitch, start, end]) => [
    [start, 0x90 | channel, pitch, BAND_VELOCITY],
    [end, 0x80 | channel, pitch, 0],
  ]);
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]); // offs (0x8n) before ons (0x9n) at one tick
  let now = 0;
  return events.map(([tick, ...bytes]) => {
    const delta = tick - now;
    now = tick;
    return ev(delta, ...bytes);
  });
}

/** The file's bytes. */
export function bandFile(): Uint8Array {
  return smf(
    1,
    PPQ,
    track(ev(0, 0xc1, 40)), // conductor: channel 2 plays a violin
    track(...notes(0, BAND_PIANO)),
    track(ev(0, 0xc9, 0), ...notes(9, BAND_DRUMS)),
    track(ev(BAND_PEDAL[0], 0xb1, 64, 127), ev(BAND_PEDAL[1] - BAND_PEDAL[0], 0xb1, 64, 0)),
    track(...notes(1, BAND_VIOLIN)),
  );
}
