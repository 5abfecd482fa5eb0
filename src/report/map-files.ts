// Writing a map to disk: <prefix>.svg (static, Vega-Lite) and <prefix>.html (interactive), atomically.
// Also turns stored embedding rows and their 2-D projections into map data. No embedding, no projecting.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeAtomic } from '../util/atomic.js';
import type { ColorField, MapData, MapItem, MapPanel } from './map-data.js';
import { mapHtml } from './map-html.js';
import { mapSvg } from './map-svg.js';

/** What a map needs of a stored row: an id and whatever labels are known. */
export interface LabelledRow {
  id: string;
  composer?: string | null;
  title?: string | null;
  performer?: string | null;
  piece?: string | null;
  key?: string | null;
  form?: string | null;
  split?: string | null;
}

/** A map item from a stored row; missing labels become empty strings. */
export function mapItem(row: LabelledRow): MapItem {
  const s = (v: string | null | undefined): string => v ?? '';
  return {
    id: row.id,
    composer: s(row.composer),
    title: s(row.title),
    performer: s(row.performer),
    piece: s(row.piece),
    key: s(row.key),
    form: s(row.form),
    split: s(row.split),
  };
}

/** Map data from rows and one projection per panel (each in row order). */
export function mapData(
  title: string,
  color: ColorField,
  rows: readonly LabelledRow[],
  panels: readonly MapPanel[],
): MapData {
  return { title, color, items: rows.map(mapItem), panels };
}

/** The files a map was written to. */
export interface MapFiles {
  svg: string;
  html: string;
}

/** Writes `<prefix>.svg` and `<prefix>.html`, creating the folder if needed. */
export async function writeMapFiles(data: MapData, prefix: string): Promise<MapFiles> {
  const files = { svg: `${prefix}.svg`, html: `${prefix}.html` };
  const svg = await mapSvg(data);
  mkdirSync(dirname(prefix), { recursive: true });
  writeAtomic(files.svg, Buffer.from(svg));
  writeAtomic(files.html, Buffer.from(mapHtml(data)));
  return files;
}
