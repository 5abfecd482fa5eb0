// The one error type of MIDI input: a file motif cannot read, named with the problem and where.
// Not for oddities a reader can recover from: those become warnings on the Performance.

/** A MIDI file that cannot be read; `message` is `<file>: <problem>`, e.g. `bad.mid: truncated track 2 at byte 1234`. */
export class MidiError extends Error {
  override readonly name = 'MidiError';

  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}
