// The data behind an embedding map: pieces with their labels, one or more panels of 2-D points (one panel
// per snapshot for maps over training), and the colour groups with their palette. Shared by the static
// SVG (map-svg.ts) and the interactive page (map-html.ts) so both colour alike. No projection, no drawing.

/** Label a map can be coloured by. */
export const COLOR_FIELDS = ['composer', 'key', 'form', 'split'] as const;
export type ColorField = (typeof COLOR_FIELDS)[number];

/** One piece (performance) as a map shows it; empty strings where a label is unknown. */
export interface MapItem {
  id: string;
  composer: string;
  title: string;
  performer: string;
  piece: string;
  key: string;
  form: string;
  split: string;
}

/** One projection of every item, in item order (a snapshot, for maps over training). */
export interface MapPanel {
  title: string;
  points: ReadonlyArray<readonly [number, number]>;
}

/** Everything a map draws. */
export interface MapData {
  title: string;
  color: ColorField;
  items: readonly MapItem[];
  panels: readonly MapPanel[];
}

/** Colour groups: names in legend order, their colours, and each item's group index. */
export interface MapGroups {
  names: string[];
  colors: string[];
  /** Per item, index into names. */
  of: Int32Array;
}

// Tableau 20 followed by four darker tones: enough for the 24 major and minor keys without reusing a colour.
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
  '#a0cbe8',
  '#ffbe7d',
  '#ff9d9a',
  '#86bcb6',
  '#8cd17d',
  '#f1ce63',
  '#d4a6c8',
  '#fabfd2',
  '#d7b5a6',
  '#79706e',
  '#1f3b73',
  '#8c2d04',
  '#276419',
  '#54278f',
];
/** Group of items whose label is empty. */
export const UNKNOWN = 'unknown';
/** Group collecting the smallest groups when there are more groups than colours. */
export const OTHER = 'other';
const GREY = '#c7c7c7';

/** Groups items by `field`, largest first (ties by name); past the palette, the smallest groups merge into "other". */
export function mapGroups(items: readonly MapItem[], field: ColorField): MapGroups {
  const counts = new Map<string, number>();
  const label = (it: MapItem): string => it[field] || UNKNOWN;
  for (const it of items) counts.set(label(it), (counts.get(label(it)) ?? 0) + 1);
  // Unknown and other are drawn grey and listed last, so they never take a colour from a real group.
  const ranked = [...counts]
    .filter(([name]) => name !== UNKNOWN)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([name]) => name);
  const kept = ranked.length > PALETTE.length ? ranked.slice(0, PALETTE.length - 1) : ranked;
  const names = [...kept];
  if (kept.length < ranked.length) names.push(OTHER);
  if (counts.has(UNKNOWN)) names.push(UNKNOWN);
  const index = new Map(names.map((n, i) => [n, i]));
  const of = Int32Array.from(items, (it) => index.get(label(it)) ?? index.get(OTHER)!);
  const colors = names.map((n, i) => (n === OTHER || n === UNKNOWN ? GREY : PALETTE[i]));
  return { names, colors, of };
}

/** Checks that every panel has one finite point per item; throws naming the panel otherwise. */
export function checkMapData(data: MapData): void {
  if (data.panels.length === 0) throw new Error('a map needs at least one panel');
  for (const p of data.panels) {
    if (p.points.length !== data.items.length)
      throw new Error(`map panel "${p.title}": ${p.points.length} points for ${data.items.length} items`);
    const bad = p.points.findIndex(([x, y]) => !Number.isFinite(x) || !Number.isFinite(y));
    if (bad >= 0) throw new Error(`map panel "${p.title}": point ${bad} (${data.items[bad].id}) is not finite`);
  }
}
