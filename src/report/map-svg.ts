// The static map: a Vega-Lite scatter plot (one column per panel, one shared colour legend) rendered to
// SVG in Node through curves.ts's renderer. For print and the run report; the interactive page is map-html.ts.
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from './curves.js';
import { checkMapData, mapGroups, type MapData } from './map-data.js';

/** Width and height of one panel, in pixels. */
const PANEL_SIZE = 360;

/** The Vega-Lite spec of a map: a scatter plot, faceted into columns when there are several panels. */
export function mapSpec(data: MapData): TopLevelSpec {
  checkMapData(data);
  const groups = mapGroups(data.items, data.color);
  const values = data.panels.flatMap((p, pi) =>
    p.points.map(([x, y], i) => ({ x, y, panel: pi, group: groups.names[groups.of[i]] })),
  );
  const axis = { title: null, labels: false, ticks: false, grid: false, domain: false };
  const encoding = {
    x: { field: 'x', type: 'quantitative', axis, scale: { zero: false, nice: false, padding: 6 } },
    y: { field: 'y', type: 'quantitative', axis, scale: { zero: false, nice: false, padding: 6 } },
    color: {
      field: 'group',
      type: 'nominal',
      title: data.color,
      scale: { domain: groups.names, range: groups.colors },
      legend: { symbolLimit: 0, labelLimit: 220 },
    },
  } as const;
  // Dots shrink as pieces multiply, so a thousand overlapping pieces stay readable and a few stay visible.
  const n = data.items.length;
  const mark = { type: 'circle', size: n <= 200 ? 40 : n <= 1000 ? 22 : 12, opacity: 0.8 } as const;
  const common = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: data.title,
    background: 'white',
    data: { values },
  } as const;
  if (data.panels.length === 1) return { ...common, width: PANEL_SIZE, height: PANEL_SIZE, mark, encoding };
  return {
    ...common,
    facet: {
      column: {
        field: 'panel',
        type: 'ordinal',
        title: null,
        // Panel titles ride on the header labels: the facet field is the panel's index, so order is kept.
        header: { labelExpr: `${JSON.stringify(data.panels.map((p) => p.title))}[datum.value]`, labelFontSize: 13 },
      },
    },
    // Each projection has its own coordinates; only the colours are shared.
    resolve: { scale: { x: 'independent', y: 'independent' } },
    spec: { width: PANEL_SIZE, height: PANEL_SIZE, mark, encoding },
  };
}

/** The map as an SVG string. */
export function mapSvg(data: MapData): Promise<string> {
  return renderSvg(mapSpec(data));
}
