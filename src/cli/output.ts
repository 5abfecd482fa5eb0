// What every CLI verb shares: where output goes, the exit codes, progress bars on stderr, and JSON output.
// Not a formatting library: verbs print their own short text; this only decides where and whether.
import cliProgress from 'cli-progress';
import type { ReadingReport } from '../data/reading-report.js';
import { describeDropped } from '../midi/instruments.js';

/** Exit codes of `motif`: 0 done; 1 usage error or unusable input (nothing done); 2 done, but some input files were bad and skipped. */
export const EXIT = { ok: 0, usage: 1, partial: 2 } as const;

/** Where a CLI run writes. Tests pass their own to capture output; `processIo` is the terminal. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Whether progress bars may be drawn (stderr is a terminal). */
  readonly progress: boolean;
}

/** The real stdout/stderr. */
export const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  progress: Boolean(process.stderr.isTTY),
};

/** What a verb needs from the program: where to write, and a way to raise the exit code. */
export interface CliContext {
  readonly io: CliIo;
  exit(code: number): void;
}

/** An error the user can fix (bad argument, unreadable input): printed as one line, exit code 1, no stack. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A progress handle; `tick` advances by n items. */
export interface Progress {
  tick(n?: number): void;
  stop(): void;
}

/** A bar on stderr, or nothing when stderr is not a terminal or output is JSON. */
export function startProgress(io: CliIo, json: boolean, total: number, label: string): Progress {
  if (!io.progress || json || total <= 1) return { tick: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {value}/{total} | {duration_formatted} elapsed, eta {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { tick: (n = 1) => bar.increment(n), stop: () => bar.stop() };
}

/** One progress bar per stage of a long job: `onStage` ends the current bar and starts the next. */
export function stagedProgress(
  io: CliIo,
  json: boolean,
): { onStage: (stage: string, total: number) => void; tick: (n: number) => void; stop: () => void } {
  let bar: Progress | undefined;
  return {
    onStage: (stage, total) => {
      bar?.stop();
      bar = startProgress(io, json, total, stage);
    },
    tick: (n) => bar?.tick(n),
    stop: () => bar?.stop(),
  };
}

/** Prints `value` as one JSON document on stdout. */
export function printJson(io: CliIo, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}

/** Reports bad files by name on stderr, after the work (the good ones are already finished). */
export function reportFailures(io: CliIo, failures: ReadonlyArray<{ id: string; error: string }>, total: number): void {
  if (failures.length === 0) return;
  io.err(`warning: ${failures.length} of ${total} files could not be read and were skipped:\n`);
  for (const f of failures) io.err(`  ${f.error.startsWith(f.id) ? f.error : `${f.id}: ${f.error}`}\n`);
}

/** Files listed by name in a text report of a dataset's reading; --json lists them all. */
const READING_LINES = 10;

/** Reports on stderr what reading a dataset left out and what the reader repaired, with the files concerned (the first few). */
export function reportReading(io: CliIo, reading: ReadingReport): void {
  const list = (lines: string[]): void => {
    for (const line of lines.slice(0, READING_LINES)) io.err(`  ${line}\n`);
    if (lines.length > READING_LINES)
      io.err(`  ... and ${lines.length - READING_LINES} more (--json lists them all)\n`);
  };
  const dropping = reading.files.filter((f) => f.dropped.notes.length + f.dropped.pedal.length > 0);
  if (dropping.length > 0) {
    const what = [
      reading.droppedNotes ? `${reading.droppedNotes} notes` : '',
      reading.ignoredPedalEvents ? `${reading.ignoredPedalEvents} pedal events` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    io.err(
      `note: --instruments ${reading.instruments} left out ${what} of ${dropping.length} files (--instruments all keeps them):\n`,
    );
    list(dropping.map((f) => `${f.id}: ${describeDropped(f.dropped).join('; ')}`));
  }
  const warned = reading.files.filter((f) => f.warnings.length > 0);
  if (warned.length > 0) {
    io.err(
      `warning: the MIDI reader repaired or ignored something in ${warned.length} files (${reading.warnings} warnings):\n`,
    );
    list(warned.flatMap((f) => f.warnings));
  }
}

/** `x` rounded to `digits` decimals, for summaries. */
export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
