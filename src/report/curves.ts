// Training curves: loss and perplexity against epoch, train and validation, as Vega-Lite specs
// rendered to SVG in Node (vega's headless renderer; no browser, no canvas). Reads metrics records
// only; the HTML page around the curves is run-report.ts.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { MetricsRecord } from '../run/metrics-log.js';

/** One plotted point. */
interface Point {
  epoch: number;
  value: number;
  series: 'train' | 'validation';
}

/** Which quantity a curve shows. */
export type CurveKind = 'loss' | 'perplexity';

/** Points of one curve: epoch and in-epoch records, train and validation. */
export function curvePoints(records: readonly MetricsRecord[], kind: CurveKind): Point[] {
  const points: Point[] = [];
  for (const r of records) {
    const train = kind === 'loss' ? r.trainLoss : r.trainPerplexity;
    const val = kind === 'loss' ? r.valLoss : r.valPerplexity;
    // A record's train loss is the mean over the steps since the previous record, so in-epoch records belong on the curve too.
    // Non-finite values (a diverged run; JSON stores them as null) have no place on a plot.
    if (Number.isFinite(train)) points.push({ epoch: r.epoch, value: train!, series: 'train' });
    if (Number.isFinite(val)) points.push({ epoch: r.epoch, value: val!, series: 'validation' });
  }
  return points.sort((a, b) => a.epoch - b.epoch);
}

/** The Vega-Lite spec of one curve. */
export function curveSpec(records: readonly MetricsRecord[], kind: CurveKind, title?: string): TopLevelSpec {
  const label = kind === 'loss' ? 'loss (nats per token)' : 'perplexity';
  const points = curvePoints(records, kind);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: title ?? `${kind === 'loss' ? 'Loss' : 'Perplexity'} vs epoch`,
    width: 480,
    height: 280,
    background: 'white',
    data: { values: points },
    // Dots help read a few epochs and only clutter hundreds.
    mark: { type: 'line', point: points.length <= 80 },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
      y: {
        field: 'value',
        type: 'quantitative',
        title: label,
        scale: kind === 'perplexity' ? { type: 'log' } : { zero: false },
      },
      color: { field: 'series', type: 'nominal', title: null, scale: { domain: ['train', 'validation'] } },
    },
  };
}

/** Renders a Vega-Lite spec to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
