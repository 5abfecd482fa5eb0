// Maps of embeddings, end to end from vectors: project once (one panel per vector set), then write one
// static SVG and one interactive HTML page per colouring. Used by `motif map` for a store and for a run's
// snapshots; reading stores and embedding snapshots happen in the caller.
import type { ProjectOptions } from '../analysis/project.js';
import type { ColorField } from './map-data.js';
import { mapData, writeMapFiles, type LabelledRow, type MapFiles } from './map-files.js';
import { projectPanels, type VectorSet } from './map-project.js';

/** How maps are drawn and where they go. */
export interface MapOptions {
  projection: ProjectOptions;
  /** One map per colouring, all from the same projection. */
  colors: readonly ColorField[];
  /** Output path without extension; with several colourings each gets `-<colour>` appended. */
  out: string;
  title: string;
}

/** Files written for one colouring. */
export interface ColoredMapFiles extends MapFiles {
  color: ColorField;
}

/** Projects each vector set (same row order in all) and writes the maps; returns the files by colouring. */
export async function writeMaps(
  rows: readonly LabelledRow[],
  sets: readonly VectorSet[],
  o: MapOptions,
): Promise<ColoredMapFiles[]> {
  if (rows.length < 2) throw new Error(`a map needs at least 2 pieces, got ${rows.length}`);
  for (const s of sets)
    if (s.vectors.length !== rows.length)
      throw new Error(`${s.title}: ${s.vectors.length} vectors for ${rows.length} pieces`);
  const panels = projectPanels(sets, o.projection);
  const out: ColoredMapFiles[] = [];
  for (const color of o.colors) {
    const prefix = o.colors.length > 1 ? `${o.out}-${color}` : o.out;
    const files = await writeMapFiles(mapData(`${o.title}, coloured by ${color}`, color, rows, panels), prefix);
    out.push({ color, ...files });
  }
  return out;
}
