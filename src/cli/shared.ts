// Options and argument checks that several verbs share (dataset selection, scheme, how MIDI is read, numbers, input files).
// Each helper turns a library error into a UsageError naming what the user typed; nothing here does work.
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { openDataset, selectSplit, type Dataset } from '../data/dataset.js';
import type { DatasetItem } from '../data/dataset-item.js';
import { parsePart, type Part } from '../data/part.js';
import { DEFAULT_INSTRUMENTS, INSTRUMENT_POLICIES, type InstrumentPolicy } from '../midi/instruments.js';
import type { SustainRule } from '../midi/sustain.js';
import { SCHEME_NAMES } from '../tokenizer/schemes.js';
import { PRECISION_CHOICES } from '../model/precision.js';
import { UsageError } from './output.js';

/** --precision of the verbs that run the model (src/model/precision.ts); `what` names what it runs, `more` adds to the help. */
export function precisionOption(what: string, more = ''): Option {
  return new Option(
    '--precision <p>',
    `matmul precision of ${what}: auto (bf16 where the CPU has AVX512_BF16 or AMX, else fp32), fp32, or bf16 ` +
      `(fp32 weights and sums, matmul operands rounded to bf16)${more}`,
  ).choices(PRECISION_CHOICES);
}

/** Options every dataset verb takes. */
export interface DatasetCliOptions {
  split?: string;
  scores?: boolean;
  ignoreMetadata?: boolean;
}

/** Adds --split, --scores and --ignore-metadata. */
export function datasetOptions(cmd: Command): Command {
  return cmd
    .option('--split <name>', 'only the items of this split (train, validation, test)')
    .option('--scores', 'ASAP: also include the MIDI scores (by default only the performances listed in metadata.csv)')
    .option('--ignore-metadata', 'ignore metadata.csv / maestro-v3.0.0.csv and take every MIDI file under the folder');
}

/** Opens the dataset and selects --split (else `defaultSplit` when the dataset has it); an empty selection is a usage error listing the splits there are. */
export function openDatasetFromCli(
  path: string,
  opts: DatasetCliOptions,
  defaultSplit?: string,
): { dataset: Dataset; items: DatasetItem[]; split?: string } {
  let dataset: Dataset;
  try {
    dataset = openDataset(path, { includeScores: opts.scores, ignoreMetadata: opts.ignoreMetadata });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const splits = [...new Set(dataset.items.map((i) => i.split).filter((s) => s !== undefined))];
  const split = opts.split ?? (defaultSplit !== undefined && splits.includes(defaultSplit) ? defaultSplit : undefined);
  const items = selectSplit(dataset, split);
  if (items.length === 0) {
    throw new UsageError(
      `${path}: no items in split '${split}' (${splits.length ? `splits here: ${splits.join(', ')}` : 'this dataset has no splits'})`,
    );
  }
  return { dataset, items, split };
}

/** --scheme exptime|logbin (exptime, the reference-compatible one, by default). */
export function schemeOption(): Option {
  return new Option('--scheme <name>', 'base tokenization scheme').choices(SCHEME_NAMES).default('exptime');
}

/** Pedal rules, the default first: 'musical' ends a held note at the first pedal-up; 'reference' copies fortepyan's quirk. */
const SUSTAIN_RULES: readonly SustainRule[] = ['musical', 'reference'];
/** The pedal rule used when none is chosen. */
export const DEFAULT_SUSTAIN: SustainRule = SUSTAIN_RULES[0];

/** How MIDI is read, as commander parses the flags: the instrument policy, and a pedal rule or false for --no-sustain. */
export interface ReadingFlags {
  instruments: InstrumentPolicy;
  sustain: SustainRule | false;
}

/** Adds --instruments <policy>, --sustain <rule> and --no-sustain: the flags of every verb that reads MIDI its own way. */
export function readingOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--instruments <policy>',
        "which notes to read: 'piano' keeps General MIDI pianos (programs 1-8) off the drum channel 10, and the pedal of their channels; 'all' keeps every note and every channel's pedal",
      )
        .choices(INSTRUMENT_POLICIES)
        .default(DEFAULT_INSTRUMENTS),
    )
    .addOption(
      new Option('--sustain <rule>', 'how the sustain pedal (CC64) lengthens notes')
        .choices(SUSTAIN_RULES)
        .default(DEFAULT_SUSTAIN),
    )
    .option('--no-sustain', 'keep notes as played, ignoring the pedal');
}

/** The pedal rule to apply, or `none`. */
export function sustainOf(opts: ReadingFlags): SustainRule | 'none' {
  return opts.sustain === false ? 'none' : opts.sustain;
}

/** A commander parser of a numeric option that accepts the numbers `ok` accepts; `expected` names them in the error. */
export function numberParser(ok: (x: number) => boolean, expected: string): (value: string) => number {
  return (value) => {
    const x = Number(value);
    if (value.trim() === '' || !ok(x)) throw new InvalidArgumentError(`expected ${expected}, got '${value}'`);
    return x;
  };
}

/** Any finite number. */
export const numberValue = numberParser(Number.isFinite, 'a number');
/** Any integer. */
export const integerValue = numberParser(Number.isInteger, 'an integer');
/** A positive number of seconds. */
export const positiveSeconds = numberParser((x) => x > 0 && Number.isFinite(x), 'a positive number of seconds');
/** A seed: a non-negative integer. */
export const seedValue = numberParser((x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');

/** Help text of --checkpoint wherever a run's model is loaded. */
export const CHECKPOINT_HELP = 'best (lowest validation loss), last, epoch-N (a snapshot), or a checkpoint folder';

/** Commander parser of a positive integer option. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer, got '${value}'`);
  return n;
}

/** A file's bytes; a missing or unreadable file is a usage error naming it. */
export function readInputFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      `${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, expected a file' : (err as Error).message}`,
    );
  }
}

/** --part i/n, parsed (commander reports the message as an invalid argument). */
export function partOption(text: string): Part {
  try {
    return parsePart(text);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}
