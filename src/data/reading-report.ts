// What the MIDI reader left out (the instrument policy) and repaired or ignored (its warnings) over a
// dataset: totals and the files concerned, so a dataset verb can say so. Collects only; printing is the CLI's.
import { droppedNotes, ignoredPedalEvents, type Dropped, type InstrumentPolicy } from '../midi/instruments.js';

/** What reading one file left out and warned about. */
export interface FileReading {
  readonly dropped: Dropped;
  readonly warnings: readonly string[];
}

/** A dataset's reading, summed. */
export interface ReadingReport {
  readonly instruments: InstrumentPolicy;
  readonly droppedNotes: number;
  readonly ignoredPedalEvents: number;
  readonly warnings: number;
  /** The files with something left out or a warning, in the order they were read. */
  readonly files: ReadonlyArray<{ readonly id: string } & FileReading>;
}

/** Collects {@link FileReading}s file by file into a {@link ReadingReport}. */
export class ReadingLog {
  private readonly files: Array<{ readonly id: string } & FileReading> = [];
  private notes = 0;
  private pedal = 0;
  private warnings = 0;

  constructor(private readonly instruments: InstrumentPolicy) {}

  /** Records one file (files with nothing to say are only counted out). */
  add(id: string, reading: FileReading): void {
    const notes = droppedNotes(reading.dropped);
    const pedal = ignoredPedalEvents(reading.dropped);
    if (notes + pedal + reading.warnings.length === 0) return;
    this.notes += notes;
    this.pedal += pedal;
    this.warnings += reading.warnings.length;
    this.files.push({ id, dropped: reading.dropped, warnings: reading.warnings });
  }

  /** The totals so far. */
  report(): ReadingReport {
    return { instruments: this.instruments, droppedNotes: this.notes, ignoredPedalEvents: this.pedal, warnings: this.warnings, files: this.files };
  }
}
