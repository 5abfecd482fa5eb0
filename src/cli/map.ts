// The `motif map` verb: flag parsing and printing around src/report/map.ts — a store's embeddings, or a
// run's snapshots side by side (--over-training), projected and drawn as SVG and interactive HTML.
// No projection, drawing or embedding logic here.
import { basename, join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { COLOR_FIELDS, type ColorField } from '../report/map-data.js';
import { writeMaps, type ColoredMapFiles, type MapOptions } from '../report/map.js';
import { writeRunReport } from '../report/run-report.js';
import { pickSnapshots, snapshotTitle } from '../report/map-snapshots.js';
import { RUN_FILES } from '../run/layout.js';
import { listSnapshots } from '../run/checkpoints.js';
import { EXIT, printJson, reportFailures, startProgress, UsageError, type CliContext, type CliIo } from './output.js';
import { datasetOptions, integerValue, openDatasetFromCli, type DatasetCliOptions } from './shared.js';

interface MapFlags extends DatasetCliOptions {
  store?: string;
  overTraining?: boolean;
  run?: string;
  data?: string;
  snapshots?: number[];
  method: 'tsne' | 'umap';
  color: ColorField[];
  seed: number;
  out?: string;
  json?: boolean;
  progress: boolean;
}

const colors = (v: string): ColorField[] => {
  const list = v.split(',').map((s) => s.trim());
  const bad = list.find((c) => !(COLOR_FIELDS as readonly string[]).includes(c));
  if (bad !== undefined || list.length === 0)
    throw new InvalidArgumentError(`choose from ${COLOR_FIELDS.join(', ')} (comma-separated for several maps)`);
  return list as ColorField[];
};
const epochs = (v: string): number[] =>
  v.split(',').map((s) => {
    const n = Number(s);
    if (s.trim() === '' || !Number.isInteger(n) || n < 0)
      throw new InvalidArgumentError(`"${s}" is not an epoch number`);
    return n;
  });

/** Adds `map`; the exit code is 2 when some files were skipped. */
export function register(program: Command, { io, exit }: CliContext): void {
  const cmd = program
    .command('map')
    .summary('Draw embeddings in 2-D (t-SNE or UMAP): a static SVG and an interactive HTML page.')
    .description(
      'Project the embeddings of a store (motif embed) to 2-D and draw them coloured by composer, key, form or split: ' +
        '<out>.svg (static, with a legend) and <out>.html (interactive and self-contained: zoom, pan, hover, click to select, legend filters; works offline).\n\n' +
        `With --over-training, embed --data with several snapshots of a run (before training, mid-way, end by default) and draw them side by side; ` +
        `the maps go to <run>/${RUN_FILES.maps}/ by default, where the run report picks them up.`,
    )
    .option('--store <dir>', 'embedding store to draw (motif embed --out)')
    .option('--over-training', "draw a run's snapshots side by side (needs --run and --data)")
    .option('--run <dir>', 'run directory (with --over-training)')
    .option('--data <dataset>', 'dataset to embed with each snapshot (with --over-training)')
    .option('--snapshots <epochs>', 'snapshot epochs to draw, e.g. 0,10,30 (default: first, middle, last)', epochs)
    .addOption(new Option('--method <name>', 'projection').choices(['tsne', 'umap']).default('tsne'))
    .addOption(
      new Option(
        '--color <fields>',
        `colour by ${COLOR_FIELDS.join(', ')}; several (comma-separated) give one map each`,
      )
        .argParser(colors)
        .default(['composer'], 'composer'),
    )
    .option('--seed <n>', 'projection seed (same seed, same map)', integerValue, 42)
    .option('--out <prefix>', 'output path without extension (default: beside the store, or in the run)')
    .option('--json', 'print the written files as JSON')
    .option('--no-progress', 'no progress bars');
  datasetOptions(cmd);
  cmd.action(async (opts: MapFlags) => {
    const files = opts.overTraining ? await overTraining(opts, io, exit) : await fromStore(opts, io);
    if (opts.json) printJson(io, files);
    else for (const f of files) io.out(`${f.color}: ${f.svg}\n${' '.repeat(f.color.length + 2)}${f.html}\n`);
  });
}

function mapOptions(opts: MapFlags, out: string, title: string): MapOptions {
  return { projection: { method: opts.method, seed: opts.seed }, colors: opts.color, out, title };
}

async function fromStore(opts: MapFlags, io: CliIo): Promise<ColoredMapFiles[]> {
  if (!opts.store) throw new UsageError('motif map needs --store <dir>, or --over-training with --run and --data');
  if (opts.run || opts.data || opts.snapshots)
    throw new UsageError('--run, --data and --snapshots go with --over-training');
  const { openStore } = await import('../embed/store.js');
  let rows;
  try {
    rows = await (await openStore(opts.store)).all();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (opts.split) rows = rows.filter((r) => r.split === opts.split);
  if (rows.length < 2)
    throw new UsageError(
      `${opts.store}: ${rows.length} pieces${opts.split ? ` in split '${opts.split}'` : ''}; a map needs at least 2`,
    );
  const name = basename(resolve(opts.store));
  const out = opts.out ?? join(opts.store, `map-${opts.method}`);
  io.err(`projecting ${rows.length} pieces (${opts.method})...\n`);
  return writeMaps(
    rows,
    [{ title: name, vectors: rows.map((r) => r.vector) }],
    mapOptions(opts, out, `${name}: ${opts.method}`),
  );
}

async function overTraining(opts: MapFlags, io: CliIo, exit: (code: number) => void): Promise<ColoredMapFiles[]> {
  if (!opts.run || !opts.data) throw new UsageError('motif map --over-training needs --run <dir> and --data <dataset>');
  if (opts.store) throw new UsageError('--store and --over-training exclude each other');
  let snaps;
  try {
    snaps = pickSnapshots(listSnapshots(opts.run), opts.snapshots, opts.run);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { items } = openDatasetFromCli(opts.data, opts);
  // Embedding loads the native core; imported here so `motif map --store` works without it.
  const { embedSnapshots } = await import('../embed/embed-snapshots.js');
  const { rows, sets, failures } = await embedSnapshots(opts.run, snaps, items, (label, total) =>
    startProgress(io, Boolean(opts.json) || !opts.progress, total, label),
  );
  reportFailures(io, failures, items.length);
  if (rows.length < 2)
    throw new UsageError(`${opts.data}: ${rows.length} of ${items.length} files could be read; a map needs at least 2`);
  if (failures.length) exit(EXIT.partial);
  const out = opts.out ?? join(opts.run, RUN_FILES.maps, `over-training-${opts.method}`);
  io.err(`projecting ${rows.length} pieces × ${sets.length} snapshots (${opts.method})...\n`);
  const files = await writeMaps(
    rows,
    sets.map((s, i) => ({ title: snapshotTitle(snaps[i]), vectors: s })),
    mapOptions(opts, out, `${basename(resolve(opts.run))} over training: ${opts.method}`),
  );
  // The run report shows the maps in the run's maps folder; refresh it so they appear now.
  if (opts.out === undefined) await writeRunReport(opts.run);
  return files;
}
