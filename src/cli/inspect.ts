// `motif inspect <file.mid>`: what motif reads from one MIDI file, and its tokens.
// A thin verb: reading, the pedal and tokenizing are the library's; this only summarizes and prints.
import type { Command } from 'commander';
import { describeDropped, NOTHING_DROPPED } from '../midi/instruments.js';
import { readMidi } from '../midi/read.js';
import { applySustain } from '../midi/sustain.js';
import { readTokenizer } from '../data/tokenizer-file.js';
import type { SchemeName } from '../tokenizer/scheme.js';
import { createScheme, tokenNames } from '../tokenizer/schemes.js';
import { printJson, round, type CliContext } from './output.js';
import { readInputFile, readingOptions, schemeOption, sustainOf, type ReadingFlags } from './shared.js';

interface InspectOptions extends ReadingFlags {
  tokens?: boolean;
  ids?: boolean;
  scheme: SchemeName;
  tokenizer?: string;
  json?: boolean;
}

/** Registers `inspect`. */
export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('inspect')
    .description('Summarize one MIDI file: notes, duration, pedal, token counts; optionally print its tokens.')
    .argument('<file>', 'a .mid/.midi file')
    .option('--tokens', 'print the base token names, separated by spaces (scheme from --scheme)')
    .option(
      '--ids',
      'print the token ids, separated by spaces (BPE ids with --tokenizer, else base ids); `motif decode` reads them back',
    )
    .addOption(schemeOption());
  readingOptions(cmd)
    .option('--tokenizer <file>', 'also count BPE tokens of this tokenizer.json (its base scheme replaces --scheme)')
    .option('--json', 'print one JSON object')
    .addHelpText('after', '\nExample:\n  motif inspect performance.mid --tokens --scheme logbin\n')
    .action((file: string, opts: InspectOptions) => inspect(ctx, file, opts));
}

function inspect(ctx: CliContext, file: string, opts: InspectOptions): void {
  const perf = readMidi(readInputFile(file), file, { instruments: opts.instruments });
  const sustain = sustainOf(opts);
  const notes = sustain === 'none' ? perf.notes : applySustain(perf, { rule: sustain });
  const bpe = opts.tokenizer ? readTokenizer(opts.tokenizer).tokenizer : undefined;
  const scheme = bpe ? bpe.base : createScheme(opts.scheme);
  const baseIds = scheme.encode(notes);
  const bpeIds = bpe ? bpe.encode(notes) : undefined;
  let pedalDown = 0;
  for (let i = 0, down = false; i < perf.pedal.length; i++) {
    const now = perf.pedal[i].value >= 64;
    if (now && !down) pedalDown++;
    down = now;
  }
  const summary = {
    file,
    format: perf.format,
    division: perf.division,
    duration: round(perf.duration, 3),
    notes: notes.length,
    pedalEvents: perf.pedal.length,
    pedalPresses: pedalDown,
    sustain,
    instruments: opts.instruments,
    dropped: perf.dropped ?? NOTHING_DROPPED,
    // Reduced, not spread into Math.min/max: a long performance has more notes than a call takes arguments.
    pitchRange: notes.length
      ? [notes.pitch.reduce((a, b) => Math.min(a, b)), notes.pitch.reduce((a, b) => Math.max(a, b))]
      : null,
    scheme: scheme.name,
    baseTokens: baseIds.length,
    baseTokensPerNote: notes.length ? round(baseIds.length / notes.length, 3) : null,
    ...(bpeIds
      ? { bpeTokens: bpeIds.length, compression: bpeIds.length ? round(baseIds.length / bpeIds.length, 3) : null }
      : {}),
    // What the reader repaired or ignored, and notes a piano does not have: a user should see both.
    warnings: perf.warnings ?? [],
  };
  const names = opts.tokens ? tokenNames(scheme, baseIds) : undefined;
  const ids = opts.ids ? Array.from(bpeIds ?? baseIds) : undefined;
  if (opts.json) {
    printJson(ctx.io, {
      ...summary,
      ...(names !== undefined ? { tokens: names === '' ? [] : names.split(' ') } : {}),
      ...(ids ? { ids } : {}),
    });
    return;
  }
  if (names !== undefined || ids) {
    if (names !== undefined) ctx.io.out(`${names}\n`);
    if (ids) ctx.io.out(`${ids.join(' ')}\n`);
    return;
  }
  const lines = [
    `${file}: MIDI format ${perf.format}, ${perf.division > 0 ? `${perf.division} ticks per quarter` : `SMPTE ${-perf.division} ticks per second`}`,
    `  duration     ${summary.duration} s`,
    `  notes        ${notes.length}${summary.pitchRange ? ` (pitch ${summary.pitchRange[0]}..${summary.pitchRange[1]})` : ''}`,
    `  pedal        ${perf.pedal.length} CC64 events, ${pedalDown} presses; sustain: ${sustain}`,
    `  ${scheme.name} tokens ${baseIds.length}${summary.baseTokensPerNote !== null ? ` (${summary.baseTokensPerNote} per note)` : ''}`,
  ];
  if (bpeIds)
    lines.push(
      `  BPE tokens   ${bpeIds.length} (${summary.compression}× fewer than base, vocabulary ${bpe!.vocabSize})`,
    );
  const leftOut = describeDropped(summary.dropped);
  lines.push(`  instruments  ${opts.instruments}${leftOut.length ? '' : ', nothing left out'}`);
  for (const d of leftOut) lines.push(`  left out     ${d}`);
  for (const w of summary.warnings) lines.push(`  warning      ${w}`);
  ctx.io.out(`${lines.join('\n')}\n`);
}
