// The report of a training run: loss.svg and perplexity.svg, and report.html — one self-contained
// page (SVG inlined, no scripts, no network) with the curves, the run's settings, the per-epoch
// metrics table, any evaluation results (eval-<split>.json), the embedding evaluation table
// (embedding-eval*.json) and the maps over training found in maps/ (static SVGs, linked to their
// interactive pages). It draws no maps itself (motif map does).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomic } from '../util/atomic.js';
import { readMetrics, type MetricsRecord } from '../run/metrics-log.js';
import { readRunConfig, type RunConfig } from '../run/config.js';
import { curveFile, RUN_FILES } from '../run/layout.js';
import { readEmbeddingEvals, readEvalResults, type EmbeddingEval, type EvalResult } from '../run/records.js';
import { curveSpec, renderSvg } from './curves.js';

/** A map over training saved in the run's maps folder: its static SVG, and the interactive page beside it if any. */
export interface RunMap {
  name: string;
  svg: string;
  html?: string;
}

/** Embedding metric columns in the issue's order; any others follow. */
const EMBEDDING_COLUMNS = [
  'excerpt_mrr',
  'excerpt_recall_at_1',
  'excerpt_recall_at_5',
  'composer_knn_acc',
  'composer_probe_acc',
  'composer_macro_f1',
  'form_knn_acc',
  'mode_knn_acc',
  'full_mrr',
];

/** Writes loss.svg, perplexity.svg and report.html into the run directory; returns the report's path. */
export async function writeRunReport(runDir: string): Promise<string> {
  const config = readRunConfig(runDir);
  const records = readMetrics(join(runDir, RUN_FILES.metrics));
  const evals = readEvalResults(runDir);
  const embeddingEvals = readEmbeddingEvals(runDir);
  const mapsDir = join(runDir, RUN_FILES.maps);
  const maps: RunMap[] = existsSync(mapsDir)
    ? readdirSync(mapsDir)
        .filter((n) => n.endsWith('.svg'))
        .sort()
        .map((n) => {
          const html = n.replace(/\.svg$/, '.html');
          return {
            name: n.slice(0, -4),
            svg: readFileSync(join(mapsDir, n), 'utf8'),
            ...(existsSync(join(mapsDir, html)) ? { html: `${RUN_FILES.maps}/${html}` } : {}),
          };
        })
    : [];
  const svgs: string[] = [];
  for (const kind of ['loss', 'perplexity'] as const) {
    const svg = await renderSvg(curveSpec(records, kind));
    writeAtomic(join(runDir, curveFile(kind)), Buffer.from(svg));
    svgs.push(svg);
  }
  const path = join(runDir, RUN_FILES.report);
  writeAtomic(path, Buffer.from(reportHtml(runDir, config, records, evals, svgs, { maps, embeddingEvals })));
  return path;
}

/** The embedding evaluation as an HTML table (one row per method) and a line with the shared numbers. */
function embeddingEvalHtml(e: EmbeddingEval, table: (id: string, head: string[], rows: string[][]) => string): string {
  const present = new Set(Object.values(e.methods).flatMap((m) => Object.keys(m)));
  const columns = [
    ...EMBEDDING_COLUMNS.filter((c) => present.has(c)),
    ...[...present].filter((c) => !EMBEDDING_COLUMNS.includes(c)).sort(),
  ];
  const rows = Object.entries(e.methods).map(([method, m]) => [method, ...columns.map((c) => num(m[c], 3))]);
  const shared = Object.entries(e.shared).map(([k, v]) => `${k} ${num(v, 3)}`);
  const label = /^embedding-eval-(.+)$/.exec(e.name)?.[1];
  return `${label ? `<h3>${esc(label)}</h3>` : ''}${table(e.name, ['method', ...columns], rows)}${shared.length ? `<p>${esc(shared.join(' · '))}</p>` : ''}`;
}

/** What the report shows beyond the training curves and tables. */
export interface ReportExtras {
  maps?: readonly RunMap[];
  embeddingEvals?: readonly EmbeddingEval[];
}

/** The report page as a string. */
export function reportHtml(
  runDir: string,
  config: RunConfig,
  records: readonly MetricsRecord[],
  evals: readonly EvalResult[],
  svgs: readonly string[],
  extras: ReportExtras = {},
): string {
  const { maps = [], embeddingEvals = [] } = extras;
  const epochs = records.filter((r) => r.kind === 'epoch');
  const settings: Array<[string, string]> = [
    ['data', config.data],
    ['preset', config.preset],
    ['model', JSON.stringify(config.model)],
    ['training', JSON.stringify(config.train)],
    ['tokenizer', `${config.tokenizer.path} (sha256 ${config.tokenizer.sha256.slice(0, 12)}…)`],
    [
      'code',
      config.git
        ? `${config.git.revision}${config.git.dirty ? ' (with uncommitted changes)' : ''}`
        : 'not a git checkout',
    ],
    ['started', config.created],
  ];
  const table = (id: string, head: string[], rows: string[][]): string =>
    `<table id="${id}">${head.length ? `<thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>` : ''}<tbody>` +
    rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('') +
    '</tbody></table>';
  const last = epochs[epochs.length - 1];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>motif run ${esc(runDir)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}.curves{display:flex;flex-wrap:wrap;gap:1em}
code{word-break:break-all}figure.map{margin:1em 0}figure.map svg{max-width:100%;height:auto}#settings td{text-align:left;overflow-wrap:anywhere}#settings td:first-child{white-space:nowrap}
</style></head><body>
<h1>motif training run</h1>
<p><code>${esc(runDir)}</code> — ${epochs.length > 1 ? `${last.epoch} epoch${last.epoch === 1 ? '' : 's'}, ${last.step} steps, ${num(last.elapsed, 0)} s` : 'no finished epoch yet'}</p>
${evals.length ? `<h2>Evaluation</h2>${table('evaluation', ['split', 'loss', 'perplexity', 'bits per note', 'checkpoint', 'pieces', 'notes', 'tokens'], evals.flatMap(evalRows))}<p>Perplexity depends on the vocabulary; bits per note (total NLL in bits over the notes) compares across vocabularies. The unigram and bigram rows are count models fitted on the train split and scored on the same tokens: a model below the bigram has learned more than which token follows which.</p>` : ''}
<h2>Curves</h2><div class="curves">${svgs.join('\n')}</div>
${embeddingEvals.length ? `<h2>Embeddings</h2>${embeddingEvals.map((e) => embeddingEvalHtml(e, table)).join('\n')}<p>MRR: mean reciprocal rank of the same piece; composer accuracies are piece-disjoint (no neighbour or training example shares the piece).</p>` : ''}
${maps.length ? `<h2>Maps over training</h2>${maps.map((m) => `<figure class="map" id="map-${esc(m.name)}">${m.svg}<figcaption>${esc(m.name)}${m.html ? ` — <a href="${esc(m.html)}">interactive version</a>` : ''}</figcaption></figure>`).join('\n')}` : ''}
<h2>Per epoch</h2>
${table(
  'epochs',
  ['epoch', 'step', 'train loss', 'train ppl', 'val loss', 'val ppl', 'lr', 'grad norm', 'tokens/s', 'elapsed s'],
  epochs.map((r) => [
    String(r.epoch),
    String(r.step),
    num(r.trainLoss),
    num(r.trainPerplexity, 2),
    num(r.valLoss),
    num(r.valPerplexity, 2),
    r.lr === undefined || r.lr === null ? '' : r.lr.toExponential(2),
    num(r.gradNorm, 3),
    num(r.tokensPerSec, 0),
    num(r.elapsed, 1),
  ]),
)}
<h2>Settings</h2>
${table(
  'settings',
  [],
  settings.map(([k, v]) => [k, v]),
)}
</body></html>
`;
}

/**
 * A number for a table cell: '' when absent, '∞' when not finite — JSON writes Infinity and NaN as
 * null, so a diverged run's records hold null where its perplexity overflowed.
 */
function num(v: number | null | undefined, digits = 4): string {
  if (v === undefined) return '';
  if (v === null || !Number.isFinite(v)) return '∞';
  return Number.isInteger(v) ? String(v) : v.toFixed(digits);
}

/** A split's evaluation row, then its baselines' rows. */
function evalRows(e: EvalResult): string[][] {
  const row = (
    name: string,
    r: { loss: number; perplexity: number; bitsPerNote: number },
    checkpoint: string,
  ): string[] => [
    name,
    num(r.loss, 4),
    num(r.perplexity, 2),
    num(r.bitsPerNote, 3),
    checkpoint,
    String(e.pieces),
    String(e.notes),
    String(e.targets),
  ];
  const baselines = e.baselines
    ? (['unigram', 'bigram'] as const).map((k) =>
        row(`${e.split} · ${k} baseline`, e.baselines![k], 'train-split counts'),
      )
    : [];
  return [row(e.split, e, e.checkpoint), ...baselines];
}

/** Escapes text for HTML. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
