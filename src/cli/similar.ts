// The `motif similar` verb: the nearest pieces of a store to a piece of it or to a MIDI file, printed.
import { existsSync, realpathSync } from 'node:fs';
import type { Command } from 'commander';
import { isMidiPath } from '../data/dataset.js';
import type { EmbeddingRow, Neighbour, WindowNeighbour } from '../embed/store.js';
import { printJson, UsageError, type CliContext } from './output.js';
import { CHECKPOINT_HELP, positiveInt } from './shared.js';

interface SimilarCliOptions {
  store: string;
  run?: string;
  checkpoint?: string;
  k: number;
  split?: string;
  excerpt?: boolean;
  json?: boolean;
}

/** Adds `similar`. */
export function register(program: Command, { io }: CliContext): void {
  program
    .command('similar')
    .summary('The pieces nearest to a MIDI file or to a piece in a store.')
    .description(
      'Nearest pieces by cosine distance (1 − cosine similarity) in an embedding store. The query is a piece id of the store ' +
        "(its file path relative to the dataset), or a MIDI file, which is read, tokenized and embedded with the store's run and checkpoint.\n\n" +
        'With --excerpt the MIDI file is a passage (a phrase, a few seconds or bars) and the question is which piece it comes from: ' +
        'it is matched against every window of every stored piece, pieces rank by their best window, and the list says where that window starts. ' +
        "A piece's average blurs the passage with everything else the piece plays (ASAP validation, 15 s excerpts: MRR 0.86 by the average, 0.99 by the best window; README).",
    )
    .argument('<query>', 'a .mid/.midi file, or the id of a piece in the store')
    .requiredOption('--store <dir>', 'embedding store (motif embed --out)')
    .option('--run <dir>', "run whose model embeds a MIDI query (default: the store's run)")
    .option('--checkpoint <which>', `${CHECKPOINT_HELP} (default: the store's)`)
    .option('--k <n>', 'neighbours to list', positiveInt, 10)
    .option('--split <name>', 'only neighbours from this split')
    .option(
      '--excerpt',
      'the MIDI file is a passage: rank pieces by their window nearest to it (needs a store with windows)',
    )
    .option('--json', 'print the neighbours as JSON')
    .action(async (query: string, opts: SimilarCliOptions) => {
      // Loaded here, not at the top: LanceDB (and for a MIDI query, the native core) load with them.
      const { noWindows, openStore } = await import('../embed/store.js');
      const { embedMidiFile, loadStoreModel, storeRun } = await import('../embed/store-run.js');
      const store = await openStore(opts.store).catch((err: Error) => Promise.reject(new UsageError(err.message)));
      let vector: Float32Array;
      // The query itself is not its own neighbour, whether named by id or by a file the store holds.
      let isQuery: (row: EmbeddingRow) => boolean;
      const row = await store.get(query);
      if (opts.excerpt && !(existsSync(query) && isMidiPath(query)))
        throw new UsageError(`${query}: --excerpt takes a MIDI file (the passage to find)`);
      if (opts.excerpt && !store.info.windows) throw new UsageError(noWindows(opts.store));
      if (row && !opts.excerpt) {
        vector = row.vector;
        isQuery = (r) => r.id === row.id;
      } else if (existsSync(query) && isMidiPath(query)) {
        const run = loadStoreModel(
          opts.store,
          store.info.source,
          storeRun(store.info.source, opts.run, opts.checkpoint),
        );
        vector = embedMidiFile(run, query);
        const file = realpathSync(query);
        isQuery = (r) => existsSync(r.file) && realpathSync(r.file) === file;
      } else {
        throw new UsageError(`${query}: neither a MIDI file nor a piece id in ${opts.store}`);
      }
      const filter = opts.split ? { split: opts.split } : {};
      const found = opts.excerpt
        ? await store.nearestByWindow(vector, opts.k + 1, filter)
        : await store.nearest(vector, opts.k + 1, filter);
      if (found.length === 0 && opts.split !== undefined) {
        const splits = [...new Set((await store.all()).map((r) => r.split ?? '(none)'))].sort();
        throw new UsageError(
          `no piece of ${opts.store} is in split '${opts.split}' (its splits: ${splits.join(', ')})`,
        );
      }
      const hits = found.filter((h) => !isQuery(h.row)).slice(0, opts.k);
      if (opts.json) printJson(io, { query, neighbours: hits.map(neighbourJson) });
      else io.out(formatNeighbours(query, hits));
    });
}

function neighbourJson(h: Neighbour | WindowNeighbour): Record<string, unknown> {
  const { vector: _vector, ...meta } = h.row;
  return { distance: h.distance, ...('window' in h ? { window: h.window } : {}), ...meta };
}

/** m:ss */
function clock(seconds: number): string {
  const s = Math.floor(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function formatNeighbours(query: string, hits: ReadonlyArray<Neighbour | WindowNeighbour>): string {
  const lines = hits.map(
    (h, i) =>
      `${String(i + 1).padStart(3)}  ${Math.max(0, h.distance).toFixed(4)}  ${'window' in h ? `at ${clock(h.window.seconds).padStart(5)}  ` : ''}${h.row.composer ?? '?'}: ${h.row.title ?? h.row.piece ?? '?'}${h.row.performer ? ` (${h.row.performer})` : ''}  ${h.row.id}`,
  );
  const how = hits.some((h) => 'window' in h) ? "cosine distance of each piece's nearest window" : 'cosine distance';
  return `nearest to ${query} (${how}):\n${lines.join('\n')}\n`;
}
