// The explorer's JSON API over real HTTP on loopback: every route's answer checked against the store, the
// files and the library (distances recomputed here, notes read here, continuations read back as MIDI),
// every refusal a 4xx JSON error, the map cached once per store, and `motif serve` binding 127.0.0.1.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { cosine } from '../../src/analysis/metrics.js';
import { openStore, type EmbeddingRow } from '../../src/embed/store.js';
import { readMidi } from '../../src/midi/read.js';
import { writeMidi } from '../../src/midi/write.js';
import { sliceNotes } from '../../src/analysis/excerpt.js';
import { embedNotes, runExtraction } from '../../src/embed/extract.js';
import { uploadNotes } from '../../src/server/upload-notes.js';
import { EXPLORER_MAP_FILE, explorerMap, placeAmong } from '../../src/server/explorer-map.js';
import { MAX_BODY_BYTES } from '../../src/server/explorer.js';
import { openDataset } from '../../src/data/dataset.js';
import { embedDataset } from '../../src/embed/embed-dataset.js';
import { EmbeddingHead } from '../../src/model/embedding-head.js';
import { writeSafetensors } from '../../src/model/safetensors.js';
import { resolveCheckpoint } from '../../src/run/checkpoint-choice.js';
import { CONTRASTIVE_DEFAULTS } from '../../src/run/config.js';
import { HEAD_FILE } from '../../src/run/layout.js';
import { loadRunModel } from '../../src/run/run-model.js';
import { exportModel } from '../../src/train/export.js';
import { Rng } from '../../src/util/rng.js';
import { readNotes } from '../helpers/labelled-dataset.js';
import { bandFile } from '../helpers/band.js';
import { rankByBestWindow } from '../helpers/best-window.js';
import { makeStore, serveExplorer, type ServedExplorer } from './fixtures.js';

let made: Awaited<ReturnType<typeof makeStore>>;
let ex: ServedExplorer;
let rows: EmbeddingRow[];
before(async () => {
  made = await makeStore();
  ex = await serveExplorer(made);
  rows = await (await openStore(made.store)).all();
});
after(async () => {
  await ex.close();
});

const get = (path: string, init?: RequestInit) => fetch(`${ex.base}${path}`, init);
const post = (path: string, body: Uint8Array | string, type = 'audio/midi') =>
  get(path, { method: 'POST', headers: { 'content-type': type }, body });
const url = (id: string, what: string) => `/api/pieces/${encodeURIComponent(id)}/${what}`;
async function json<T>(res: Response, status = 200): Promise<T> {
  const body = (await res.json()) as T;
  assert.equal(res.status, status, JSON.stringify(body));
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  return body;
}
const fileOf = (id: string) => readFileSync(join(made.data, id));
/** Cosine distances from `v` to every stored row, nearest first. */
const ranked = (v: Float32Array) =>
  rows.map((r) => ({ id: r.id, distance: 1 - cosine(v, r.vector) })).sort((a, b) => a.distance - b.distance);

test('health, pieces with finite map points and colour groups', async () => {
  assert.deepEqual(await json(await get('/api/health')), {
    ok: true,
    pieces: made.ids.length,
    embed: true,
    passages: true,
    generate: true,
  });
  const { pieces, colors } = await json<{
    pieces: Array<{ id: string; x: number; y: number; composer: string; split: string }>;
    colors: Record<string, { names: string[]; of: number[] }>;
  }>(await get('/api/pieces'));
  assert.deepEqual(pieces.map((p) => p.id).sort(), [...made.ids].sort());
  assert.ok(pieces.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y)));
  assert.ok(new Set(pieces.map((p) => `${p.x},${p.y}`)).size > 1, 'the map is not one point');
  for (const field of ['composer', 'key', 'form', 'split']) assert.equal(colors[field].of.length, pieces.length);
  pieces.forEach((p, i) => assert.equal(colors.composer.names[colors.composer.of[i]], p.composer));
});

test('a piece: its MIDI file, its notes as the run reads them, its neighbours without itself', async () => {
  const id = made.ids[3];
  const midi = await get(url(id, 'midi'));
  assert.equal(midi.status, 200);
  assert.equal(midi.headers.get('content-type'), 'audio/midi');
  assert.deepEqual(new Uint8Array(await midi.arrayBuffer()), new Uint8Array(fileOf(id)));

  const notes = await json<{ seconds: number; notes: number[][] }>(await get(url(id, 'notes')));
  const expected = readNotes(join(made.data, id));
  assert.equal(notes.notes.length, expected.length);
  notes.notes.forEach(([start, dur, pitch, vel], i) => {
    assert.ok(
      Math.abs(start - expected.start[i]) < 1e-3 && Math.abs(dur - (expected.end[i] - expected.start[i])) < 2e-3,
      `note ${i}`,
    );
    assert.deepEqual([pitch, vel], [expected.pitch[i], expected.velocity[i]]);
  });

  const { neighbours } = await json<{ neighbours: Array<{ id: string; distance: number }> }>(
    await get(`${url(id, 'similar')}?k=4`),
  );
  const want = ranked(rows.find((r) => r.id === id)!.vector)
    .filter((r) => r.id !== id)
    .slice(0, 4);
  assert.deepEqual(
    neighbours.map((n) => n.id),
    want.map((w) => w.id),
  );
  neighbours.forEach((n, i) => assert.ok(Math.abs(n.distance - Math.max(0, want[i].distance)) < 1e-4));
});

test("an uploaded file: embedded by the store's run, its nearest pieces, placed among them", async () => {
  const id = made.ids[5];
  const r = await json<{
    neighbours: Array<{ id: string; distance: number }>;
    position: [number, number];
    notes: number;
  }>(await post('/api/similar?k=3', fileOf(id)));
  // The same file as a stored piece embeds to the stored vector: it is its own nearest, at distance ~0.
  assert.equal(r.neighbours[0].id, id);
  assert.ok(r.neighbours[0].distance < 1e-4);
  assert.deepEqual(
    r.neighbours.map((n) => n.id),
    ranked(rows.find((x) => x.id === id)!.vector)
      .slice(0, 3)
      .map((w) => w.id),
  );
  assert.equal(r.notes, readNotes(join(made.data, id)).length);
  const map = explorerMap(made.store, (await openStore(made.store)).info, rows);
  const want = placeAmong(r.neighbours.map((n) => ({ point: map.points.get(n.id)!, distance: n.distance })));
  assert.ok(Math.abs(r.position[0] - want[0]) < 1e-9 && Math.abs(r.position[1] - want[1]) < 1e-9);
  const notes = await json<{ notes: unknown[] }>(await post('/api/notes', fileOf(id)));
  assert.equal(notes.notes.length, r.notes);
});

test('an uploaded passage (match=window): pieces by their nearest window, each with where that window starts', async () => {
  const id = made.ids[4];
  const notes = readNotes(join(made.data, id));
  const passage = writeMidi(sliceNotes(notes, notes.start[0] + 3, notes.start[0] + 7));
  const r = await json<{ neighbours: Array<{ id: string; distance: number; at: number }> }>(
    await post('/api/similar?k=3&match=window', passage),
  );
  const windows = await (await openStore(made.store)).windows();
  const run = loadRunModel(made.runDir, 'epoch-1');
  const q = embedNotes(
    run.model,
    run.tokenizer,
    uploadNotes(Buffer.from(passage), 'the passage', run),
    runExtraction(run),
  );
  const want = rankByBestWindow(
    q,
    rows.map((row) => row.id),
    windows,
  ).slice(0, 3);
  assert.deepEqual(
    r.neighbours.map((n) => [n.id, n.at]),
    want.map((w) => [w.id, w.seconds]),
  );
  r.neighbours.forEach((n, i) => assert.ok(Math.abs(n.distance - Math.max(0, want[i].distance)) < 1e-4));
  const bad = await json<{ error: string }>(await post('/api/similar?match=bars', passage), 400);
  assert.match(bad.error, /match must be equal to one of the allowed values/);
});

test('a store without windows says so: health has no passages, and a passage search is a 409 that says how to get them', async () => {
  const store = join(made.root, 'store-no-windows');
  await embedDataset(loadRunModel(made.runDir, 'epoch-1'), openDataset(made.data).items, {
    out: store,
    windows: false,
    source: { dataset: made.data },
  });
  const plain = await serveExplorer({ ...made, store });
  try {
    const health = (await (await fetch(`${plain.base}/api/health`)).json()) as { passages: boolean; embed: boolean };
    assert.deepEqual([health.embed, health.passages], [true, false]);
    const res = await fetch(`${plain.base}/api/similar?match=window`, {
      method: 'POST',
      headers: { 'content-type': 'audio/midi' },
      body: fileOf(made.ids[0]),
    });
    assert.equal(res.status, 409);
    assert.match(((await res.json()) as { error: string }).error, /keeps no window vectors.*motif embed --overwrite/);
    const whole = await fetch(`${plain.base}/api/similar`, {
      method: 'POST',
      headers: { 'content-type': 'audio/midi' },
      body: fileOf(made.ids[0]),
    });
    assert.equal(whole.status, 200, 'a whole-piece search needs no windows');
  } finally {
    await plain.close();
  }
});

test("uploads are read as the store's model read its shards (this tiny run's: every instrument)", async () => {
  const band = bandFile();
  const notes = await json<{ notes: unknown[] }>(await post('/api/notes', band));
  assert.equal(notes.notes.length, readMidi(band, 'band', { instruments: 'all' }).notes.length);
  assert.ok(
    notes.notes.length > readMidi(band, 'band', { instruments: 'piano' }).notes.length,
    'the drums and violin are kept',
  );
});

test('a continuation comes back as MIDI: the prompt as read, then new notes', async () => {
  const res = await post('/api/generate?seconds=3&prompt_seconds=2&seed=3', fileOf(made.ids[0]));
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(res.headers.get('content-type'), 'audio/midi');
  const prompt = Number(res.headers.get('x-motif-prompt-seconds'));
  assert.ok(prompt > 0 && prompt <= 2, `prompt ${prompt} s`);
  assert.ok(Number(res.headers.get('x-motif-tokens')) > 0);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const perf = readMidi(bytes, 'continuation');
  const first = readNotes(join(made.data, made.ids[0]));
  assert.ok(perf.notes.length > 0);
  assert.equal(perf.notes.pitch[0], first.pitch[0], 'the file starts with the prompt');
  const again = await post('/api/generate?seconds=3&prompt_seconds=2&seed=3', fileOf(made.ids[0]));
  assert.deepEqual(new Uint8Array(await again.arrayBuffer()), bytes, 'the same seed gives the same file');
});

test('refusals are 4xx JSON errors that say what is wrong', async () => {
  const cases: Array<[string, Promise<Response>, number, RegExp]> = [
    ['unknown id', get(url('Bach/none.mid', 'midi')), 404, /no piece with id/],
    ['traversal id', get(url('../../etc/passwd', 'notes')), 404, /no piece with id/],
    ['k = 0', get(`${url(made.ids[0], 'similar')}?k=0`), 400, /k must be >= 1/],
    ['k not a number', get(`${url(made.ids[0], 'similar')}?k=ten`), 400, /k must be integer/],
    ['unknown parameter', get(`${url(made.ids[0], 'similar')}?kk=3`), 400, /must NOT have additional properties/],
    ['not MIDI', post('/api/similar', 'hello, world'), 400, /not a MIDI file motif can read/],
    ['empty body', post('/api/notes', new Uint8Array(0)), 400, /send a MIDI file/],
    ['JSON body', post('/api/similar', '{"a":1}', 'application/json'), 400, /send a MIDI file/],
    ['truncated MIDI', post('/api/notes', fileOf(made.ids[0]).subarray(0, 30)), 400, /not a MIDI file motif can read/],
    ['too long a continuation', post('/api/generate?seconds=1000', fileOf(made.ids[0])), 400, /seconds must be <= 120/],
    [
      'over the size limit',
      post('/api/similar', new Uint8Array(MAX_BODY_BYTES + 1)),
      413,
      /larger than the 5 MB limit/,
    ],
    ['unknown route', get('/api/nothing'), 404, /no such route: GET \/api\/nothing/],
    ['unknown vendor file', get('/vendor/piano/..%2Fpackage.json'), 404, /no piano sample/],
  ];
  for (const [what, res, status, message] of cases) {
    const body = await json<{ error: string }>(await res, status);
    assert.match(body.error, message, what);
    assert.doesNotMatch(body.error, /\n\s+at /, `${what}: no stack trace`);
  }
  assert.equal((await get('/api/health')).status, 200, 'still up');
});

test('the map is computed once per store and cached beside it; a store made again gets a new one', async () => {
  const file = join(made.store, EXPLORER_MAP_FILE);
  assert.ok(existsSync(file));
  const info = (await openStore(made.store)).info;
  const first = explorerMap(made.store, info, rows);
  assert.equal(first.cached, 'read');
  const stale = explorerMap(made.store, { ...info, created: 'another store' }, rows);
  assert.equal(stale.cached, 'written');
  writeFileSync(file, '{ damaged');
  const again = explorerMap(made.store, info, rows);
  assert.equal(again.cached, 'written', 'a damaged cache is computed again, not an error');
  assert.deepEqual([...again.points], [...first.points], 'same seed, same map');
});

test('motif serve listens on 127.0.0.1 by default, answers, and stops on Ctrl-C', async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--store', made.store, '--port', '0', '--json'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  while (!out.includes('}')) await new Promise((r) => setTimeout(r, 100));
  const started = JSON.parse(out) as { url: string; pieces: number };
  assert.match(started.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.equal(started.pieces, made.ids.length);
  assert.equal((await fetch(`${started.url}api/health`)).status, 200);
  const page = await fetch(started.url);
  assert.match(await page.text(), /motif <span>explorer/);
  child.kill('SIGINT');
  assert.equal(await exited, 0);
});

test('a store of an embedding model continues with the language model it was fine-tuned from, unless --model says otherwise', async () => {
  // An embedding model as motif train --objective contrastive leaves it: the tiny run's weights, a head, and
  // config.json's objective naming the run it started from (relative to itself, as exported folders keep paths).
  const embeddingModel = join(made.root, 'embedding-model');
  exportModel(made.runDir, resolveCheckpoint(made.runDir, 'epoch-2'), embeddingModel);
  const rng = new Rng(5);
  writeSafetensors(join(embeddingModel, HEAD_FILE), EmbeddingHead.create(32, 8, () => rng.nextFloat()).tensors(false), {
    'motif.settings': JSON.stringify({ temperature: 0.1, clipNorm: 1 }),
  });
  const configPath = join(embeddingModel, 'config.json');
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  const init = relative(embeddingModel, made.runDir);
  const objective = { ...CONTRASTIVE_DEFAULTS, kind: 'contrastive', init, initCheckpoint: init, embedDim: 8 };
  writeFileSync(configPath, JSON.stringify({ ...config, objective }));
  const store = join(made.root, 'embedding-store');
  await embedDataset(loadRunModel(embeddingModel), openDataset(made.data).items, { out: store, workers: 0 });

  const byDefault = await serveExplorer({ ...made, store });
  try {
    assert.equal(byDefault.canEmbed, true);
    assert.equal(byDefault.continuationsFrom, resolve(made.runDir));
    assert.ok(
      byDefault.notes.some((n) => /continuations use .*fine-tuned from/.test(n)),
      byDefault.notes.join('\n'),
    );
    const res = await fetch(`${byDefault.base}/api/generate?seconds=2&seed=1`, {
      method: 'POST',
      headers: { 'content-type': 'audio/midi' },
      body: fileOf(made.ids[0]),
    });
    assert.equal(res.status, 200, await res.clone().text());
  } finally {
    await byDefault.close();
  }
  const chosen = await serveExplorer({ ...made, store }, { model: embeddingModel });
  await chosen.close();
  assert.equal(chosen.continuationsFrom, resolve(embeddingModel));
  assert.ok(!chosen.notes.some((n) => /continuations use/.test(n)));
});
