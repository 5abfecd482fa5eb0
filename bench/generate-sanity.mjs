// Musical sanity of generation with the shipped model on ASAP test prompts: for each performance of the
// test split, its first --prompt seconds are continued for --seconds; the continuation's pitch-class
// histogram (duration-weighted) should be closer (cosine) to its own prompt's than to a random other
// piece's prompt, and its note density within 2× of its prompt's. Prints the shares (goals: ≥ 80% and
// most within 2×), the median density ratio and repairs; --json for the record. Seeded: one sample per
// prompt from --seed. Checks first that every output decodes to valid notes (end > start).
// Usage: npm run build && node bench/generate-sanity.mjs [--data ../shared/data/asap] [--prompt 10] [--seconds 20] [--top-p 0.95] [--temperature 0.9] [--json]
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openDataset, selectSplit } from '../dist/data/dataset.js';
import { readMidi } from '../dist/midi/read.js';
import { applySustain } from '../dist/midi/sustain.js';
import { loadRunModel } from '../dist/run/run-model.js';
import { cropPrompt, generate } from '../dist/generate/generate.js';
import { Rng } from '../dist/util/rng.js';
import { cpuInfo } from './lib/hardware.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    data: { type: 'string', default: join(ROOT, '../shared/data/asap') },
    model: { type: 'string', default: join(ROOT, 'models/asap-small') },
    split: { type: 'string', default: 'test' },
    prompt: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '20' },
    'top-p': { type: 'string', default: '0.95' },
    temperature: { type: 'string', default: '0.9' },
    seed: { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log(
    'node bench/generate-sanity.mjs [--data asap] [--model dir] [--split test] [--prompt 10] [--seconds 20] [--top-p 0.95] [--temperature 0.9] [--seed 0] [--json]',
  );
  process.exit(0);
}
if (!existsSync(opts.data)) {
  console.error(`${opts.data}: no such dataset (pass --data <ASAP folder>)`);
  process.exit(1);
}
const PROMPT = Number(opts.prompt),
  SECONDS = Number(opts.seconds);
const run = loadRunModel(opts.model);

/** Duration-weighted pitch-class histogram (12 numbers). */
function pitchClasses(notes) {
  const h = new Float64Array(12);
  for (let i = 0; i < notes.length; i++) h[notes.pitch[i] % 12] += notes.end[i] - notes.start[i];
  return h;
}
function cosine(a, b) {
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return aa && bb ? ab / Math.sqrt(aa * bb) : 0;
}
const density = (notes, seconds) => notes.length / seconds;

const items = selectSplit(openDataset(opts.data), opts.split);
const prompts = [];
for (const it of items) {
  const perf = readMidi(readFileSync(it.path), it.id);
  const notes = run.sustain === 'none' ? perf.notes : applySustain(perf, { rule: run.sustain });
  if (notes.length === 0 || notes.start[notes.length - 1] < PROMPT + 1) continue; // too short to have a 10-s prompt
  prompts.push({ id: it.id, piece: it.piece ?? it.id, prompt: cropPrompt(notes, PROMPT) });
}

const rng = new Rng(Number(opts.seed) + 1);
const rows = [];
let tokens = 0,
  seconds = 0;
for (const [i, p] of prompts.entries()) {
  const g = generate(run.model, run.tokenizer, {
    prompt: p.prompt,
    maxSeconds: SECONDS,
    seed: Number(opts.seed) + i,
    topP: Number(opts['top-p']),
    temperature: Number(opts.temperature),
  });
  const s = g.samples[0];
  for (let k = 0; k < s.notes.length; k++) {
    if (!(s.notes.end[k] > s.notes.start[k])) throw new Error(`${p.id}: generated note ${k} is not valid`);
  }
  tokens += s.ids.length;
  seconds += g.generateTime;
  const others = prompts.filter((q) => q.piece !== p.piece);
  const other = others[rng.nextInt(others.length)];
  const cont = pitchClasses(s.continuation);
  const own = cosine(cont, pitchClasses(p.prompt)),
    foreign = cosine(cont, pitchClasses(other.prompt));
  const contSeconds = Math.max(s.progress.seconds, 1e-9);
  const ratio = density(s.continuation, contSeconds) / density(p.prompt, g.promptSeconds);
  rows.push({
    id: p.id,
    own,
    foreign,
    closer: own > foreign,
    ratio,
    notes: s.continuation.length,
    repairs: s.repairs,
    ended: s.progress.ended,
  });
  if (!opts.json) process.stderr.write(`\r${i + 1}/${prompts.length}`);
}
if (!opts.json) process.stderr.write('\n');

const share = (f) => rows.filter(f).length / rows.length;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const result = {
  cpu: cpuInfo().model,
  model: opts.model.startsWith(ROOT) ? opts.model.slice(ROOT.length + 1) : opts.model,
  split: opts.split,
  prompts: rows.length,
  prompt_seconds: PROMPT,
  continuation_seconds: SECONDS,
  top_p: Number(opts['top-p']),
  temperature: Number(opts.temperature),
  seed: Number(opts.seed),
  closer_to_own_prompt: +share((r) => r.closer).toFixed(3),
  density_within_2x: +share((r) => r.ratio >= 0.5 && r.ratio <= 2).toFixed(3),
  median_density_ratio: +median(rows.map((r) => r.ratio)).toFixed(3),
  mean_cosine_own: +(rows.reduce((a, r) => a + r.own, 0) / rows.length).toFixed(3),
  mean_cosine_other: +(rows.reduce((a, r) => a + r.foreign, 0) / rows.length).toFixed(3),
  ended_early: rows.filter((r) => r.ended).length,
  repairs: rows.reduce((a, r) => a + r.repairs, 0),
  tokens_per_s: Math.round(tokens / seconds),
};
if (opts.json) console.log(JSON.stringify({ ...result, rows }, null, 2));
else {
  console.log(
    `${result.prompts} ${result.split} prompts of ${PROMPT} s, ${SECONDS} s continuations (top-p ${result.top_p}, temperature ${result.temperature}, seed ${result.seed}), ${result.model}`,
  );
  console.log(
    `continuation pitch classes closer to its own prompt than to another piece's: ${(100 * result.closer_to_own_prompt).toFixed(1)}%  (cosine ${result.mean_cosine_own} vs ${result.mean_cosine_other}; goal ≥ 80%)`,
  );
  console.log(
    `note density within 2× of the prompt's: ${(100 * result.density_within_2x).toFixed(1)}%  (median ratio ${result.median_density_ratio})`,
  );
  console.log(
    `ended by the model before ${SECONDS} s: ${result.ended_early}; repairs: ${result.repairs}; ${result.tokens_per_s} tokens/s`,
  );
}
