// Which notes of a MIDI file motif keeps, by the General MIDI conventions a piano tool can rely on:
// channel 10 is percussion and programs 1-8 are the pianos. The reader applies the policy (read.ts);
// this file holds the policy, those GM facts and the report of what a policy dropped. Not a synth:
// banks, GM2 drum channels and controllers other than the pedal are not looked at.

/**
 * 'piano' keeps the notes of piano programs off the drum channel, and the pedal of the channels that
 * play them (sustaining all of them: a piano has one pedal); 'all' keeps every note, and the pedal of
 * every channel, as motif did before it had a choice.
 */
export type InstrumentPolicy = 'piano' | 'all';

/** The policies, the default first. */
export const INSTRUMENT_POLICIES: readonly InstrumentPolicy[] = ['piano', 'all'];
/** The policy used when none is chosen: motif learns piano, and drums or strings would teach it notes no pianist played. */
export const DEFAULT_INSTRUMENTS: InstrumentPolicy = INSTRUMENT_POLICIES[0];

/** MIDI channel (0-based, as in the status byte) that General MIDI reserves for percussion: "channel 10". */
export const DRUM_CHANNEL = 9;

/** GM program families, eight programs each (0-based program >> 3). */
const FAMILIES = [
  'piano',
  'chromatic percussion',
  'organ',
  'guitar',
  'bass',
  'strings',
  'ensemble',
  'brass',
  'reed',
  'pipe',
  'synth lead',
  'synth pad',
  'synth effects',
  'ethnic',
  'percussive',
  'sound effects',
];

/** Whether a note on `channel` (0..15) played with `program` (0..127; 0 where the channel never set one, as GM starts) is a piano's. */
export function isPianoNote(channel: number, program: number): boolean {
  return channel !== DRUM_CHANNEL && program >> 3 === 0;
}

/**
 * The policy a record states (shard index.json, a store's source). A record without one was made
 * before the option existed, when motif kept every note: reading it as 'all' keeps an old model's
 * tokens what they were when it trained, where the new default would silently change them.
 */
export function recordedInstruments(value: unknown): InstrumentPolicy {
  return value === 'piano' ? 'piano' : 'all';
}

/** Notes a policy dropped, grouped by channel and program. Numbered as General MIDI documents them for users: channel 1..16, program 1..128. */
export interface DroppedNotes {
  readonly channel: number;
  /** null on the drum channel, where the program selects a drum kit, not an instrument. */
  readonly program: number | null;
  readonly notes: number;
}

/** Pedal (CC64) events ignored because their channel has no kept note, so they would sustain nothing. Channel 1..16. */
export interface IgnoredPedal {
  readonly channel: number;
  readonly events: number;
}

/** What an instrument policy left out of one file. */
export interface Dropped {
  readonly notes: readonly DroppedNotes[];
  readonly pedal: readonly IgnoredPedal[];
}

/** Nothing dropped (the 'all' policy, or a piano-only file). */
export const NOTHING_DROPPED: Dropped = { notes: [], pedal: [] };

/** Total notes in `dropped`. */
export function droppedNotes(dropped: Dropped): number {
  return dropped.notes.reduce((sum, d) => sum + d.notes, 0);
}

/** Total pedal events in `dropped`. */
export function ignoredPedalEvents(dropped: Dropped): number {
  return dropped.pedal.reduce((sum, d) => sum + d.events, 0);
}

/** One line per group, e.g. `312 notes on channel 10 (drums)`, `40 notes of program 41 (strings) on channel 2`. */
export function describeDropped(dropped: Dropped): string[] {
  return [
    ...dropped.notes.map((d) =>
      d.program === null
        ? `${d.notes} notes on channel ${d.channel} (drums)`
        : `${d.notes} notes of program ${d.program} (${FAMILIES[(d.program - 1) >> 3]}) on channel ${d.channel}`,
    ),
    ...dropped.pedal.map((p) => `${p.events} pedal events on channel ${p.channel}, which has no piano notes`),
  ];
}
