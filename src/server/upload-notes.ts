// MIDI bytes sent to the explorer → the notes a model reads (its shards' instrument policy and pedal rule), and
// notes → the compact JSON the page draws and plays. A file that is not MIDI, or holds no notes, is a
// 400 naming the problem; the reader's own message says what is wrong with the bytes.
import type { MidiReading } from '../data/shards.js';
import { MidiError } from '../midi/errors.js';
import type { Notes } from '../midi/notes.js';
import { readMidi } from '../midi/read.js';
import { applySustain } from '../midi/sustain.js';
import { HttpError } from './http-error.js';

/** The notes of an uploaded MIDI file as the model reads them; `name` is how errors call the file. */
export function uploadNotes(bytes: unknown, name: string, reading: MidiReading): Notes {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0)
    throw new HttpError(400, 'send a MIDI file as the request body (Content-Type: audio/midi)');
  let notes: Notes;
  try {
    const perf = readMidi(bytes, name, { instruments: reading.instruments });
    notes = reading.sustain === 'none' ? perf.notes : applySustain(perf, { rule: reading.sustain });
  } catch (err) {
    if (err instanceof MidiError) throw new HttpError(400, `not a MIDI file motif can read: ${err.problem}`);
    throw err;
  }
  if (notes.length === 0) throw new HttpError(400, `${name}: the MIDI file holds no notes`);
  return notes;
}

/** Notes as the page reads them: seconds, and [start, duration, pitch, velocity] per note (ms precision). */
export interface NotesJson {
  seconds: number;
  notes: Array<[number, number, number, number]>;
}

const ms = (t: number): number => Math.round(t * 1000) / 1000;

/** The JSON form of `notes`. */
export function notesJson(notes: Notes): NotesJson {
  let seconds = 0;
  const list: NotesJson['notes'] = [];
  for (let i = 0; i < notes.length; i++) {
    list.push([ms(notes.start[i]), ms(notes.end[i] - notes.start[i]), notes.pitch[i], notes.velocity[i]]);
    seconds = Math.max(seconds, notes.end[i]);
  }
  return { seconds: ms(seconds), notes: list };
}
