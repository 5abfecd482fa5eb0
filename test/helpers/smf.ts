// Test helper: builds Standard MIDI File bytes by hand, so each test states exactly what the file holds.
// Not a writer for the library (that is src/midi/write.ts); it checks nothing and happily builds broken files.

/** A variable-length quantity (up to 4 bytes unless more are forced by a huge value). */
export function vlq(value: number): number[] {
  const out = [value & 0x7f];
  for (let v = Math.floor(value / 128); v > 0; v = Math.floor(v / 128)) out.unshift(0x80 | (v & 0x7f));
  return out;
}

/** A chunk: 4-letter id, 32-bit big-endian length (the real one unless `length` is given), body. */
export function chunk(id: string, body: number[], length = body.length): number[] {
  return [
    ...Buffer.from(id, 'latin1'),
    (length >>> 24) & 0xff,
    (length >> 16) & 0xff,
    (length >> 8) & 0xff,
    length & 0xff,
    ...body,
  ];
}

/** The MThd chunk. */
export function header(format: number, tracks: number, division: number): number[] {
  return chunk('MThd', [0, format, tracks >> 8, tracks & 0xff, (division >> 8) & 0xff, division & 0xff]);
}

/** An event: delta time then raw bytes (status may be omitted for running status). */
export function ev(delta: number, ...bytes: number[]): number[] {
  return [...vlq(delta), ...bytes];
}

/** A set-tempo meta event. */
export function tempo(delta: number, usPerQuarter: number): number[] {
  return ev(delta, 0xff, 0x51, 3, usPerQuarter >> 16, (usPerQuarter >> 8) & 0xff, usPerQuarter & 0xff);
}

/** The end-of-track meta event. */
export function eot(delta = 0): number[] {
  return ev(delta, 0xff, 0x2f, 0);
}

/** An MTrk chunk from events, with an end-of-track appended. */
export function track(...events: number[][]): number[] {
  return chunk('MTrk', [...events.flat(), ...eot()]);
}

/** A whole file from tracks (each already an MTrk chunk). */
export function smf(format: number, division: number, ...tracks: number[][]): Uint8Array {
  return Uint8Array.from([...header(format, tracks.length, division), ...tracks.flat()]);
}
