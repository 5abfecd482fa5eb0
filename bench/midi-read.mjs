// Benchmark: motif's readMidi vs @tonejs/midi's `new Midi(bytes)` on the ASAP corpus, same bytes in memory.
// Checks first that both give the same notes per file (tonejs minus its zero-length notes, which
// pretty_midi and readMidi drop), then prints a table; with --json, one JSON object as the last line.
// Usage: npm run build && node bench/midi-read.mjs [--data DIR] [--every N] [--runs N] [--json]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import tonejs from '@tonejs/midi';
import { readMidi } from '../dist/midi/read.js';

const { Midi } = tonejs;
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const json = args.includes('--json');
const dataDir = resolve(option('--data', fileURLToPath(new URL('../../shared/data/asap/', import.meta.url))));
const every = Number(option('--every', 1)); // tonejs on the whole corpus takes about a minute: --every 10 for a quick look
const runs = Number(option('--runs', 5));

function midiFiles(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) return midiFiles(p);
      return /\.midi?$/i.test(name) ? [p] : [];
    });
}

const files = midiFiles(dataDir).filter((_, i) => i % every === 0);
const bytes = files.map((f) => new Uint8Array(readFileSync(f)));
const totalBytes = bytes.reduce((s, b) => s + b.length, 0);

function readAll() {
  let notes = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < bytes.length; i++) notes += readMidi(bytes[i], files[i]).notes.length;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { notes, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

// Ours: one cold run (includes JIT warm-up), then the median of `runs` warm runs.
const cold = readAll();
const warm = Array.from({ length: runs }, readAll).sort((a, b) => a.seconds - b.seconds);
const ours = warm[Math.floor(runs / 2)];

// tonejs: one run, timing only the constructor; the check against our notes happens outside the timer.
let tonejsSeconds = 0;
let tonejsNotes = 0;
let zeroLength = 0;
for (let i = 0; i < bytes.length; i++) {
  const t0 = performance.now();
  const midi = new Midi(bytes[i]);
  tonejsSeconds += (performance.now() - t0) / 1000;
  let count = 0;
  let kept = 0;
  for (const track of midi.tracks) {
    count += track.notes.length;
    kept += track.notes.filter((n) => n.durationTicks > 0).length;
  }
  tonejsNotes += count;
  zeroLength += count - kept;
  const mine = readMidi(bytes[i], files[i]).notes.length;
  if (mine !== kept)
    throw new Error(`${files[i]}: readMidi gives ${mine} notes, tonejs ${kept} (without zero-length notes)`);
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const result = {
  files: files.length,
  bytes: totalBytes,
  notes: ours.notes,
  seconds: ours.seconds,
  cold_seconds: cold.seconds,
  cpu_seconds: ours.cpuSeconds,
  notes_per_second: ours.notes / ours.seconds,
  tonejs_notes: tonejsNotes,
  tonejs_zero_length_notes: zeroLength,
  tonejs_parse_seconds: tonejsSeconds,
  tonejs_notes_per_second: tonejsNotes / tonejsSeconds,
  ratio: tonejsSeconds / ours.seconds,
  node: process.version,
  cpu,
  cores: cpus().length,
  load_average: loadavg()[0],
};

const row = (name, notes, seconds, ratio) =>
  `${name.padEnd(22)} ${String(files.length).padStart(6)} ${String(notes).padStart(9)} ${seconds.toFixed(3).padStart(9)} ${(notes / seconds / 1e6).toFixed(2).padStart(9)} ${ratio.padStart(7)}`;
console.log(`MIDI reading, ${files.length} files (${(totalBytes / 2 ** 20).toFixed(1)} MiB) from ${dataDir}`);
console.log(`node ${process.version}, ${cpu}, ${cpus().length} cores, load average ${loadavg()[0].toFixed(2)}`);
console.log(
  `${'reader'.padEnd(22)} ${'files'.padStart(6)} ${'notes'.padStart(9)} ${'seconds'.padStart(9)} ${'Mnotes/s'.padStart(9)} ${'ratio'.padStart(7)}`,
);
console.log(row('motif readMidi (warm)', ours.notes, ours.seconds, '1.0'));
console.log(row('motif readMidi (cold)', cold.notes, cold.seconds, (cold.seconds / ours.seconds).toFixed(1)));
console.log(row('@tonejs/midi new Midi', tonejsNotes, tonejsSeconds, result.ratio.toFixed(1)));
console.log(
  `warm: median of ${runs} runs after the cold one; CPU time of that run ${ours.cpuSeconds.toFixed(3)} s (wall time suffers when the machine is shared).`,
);
console.log(
  `tonejs keeps ${zeroLength} zero-length notes that readMidi drops (as pretty_midi does); all other counts agree.`,
);
if (json) console.log(JSON.stringify(result));
