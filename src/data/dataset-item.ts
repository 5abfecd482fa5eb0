// One piece of a dataset as every reader of datasets lists it (a folder, ASAP's or MAESTRO's metadata).
// Its own module so that the dataset lister and the metadata readers both use it without importing each other.

/** One piece of a dataset: a MIDI file and what is known about it. */
export interface DatasetItem {
  /** Stable, unique name: the file path relative to the dataset root, with `/` separators. */
  readonly id: string;
  /** Absolute path of the MIDI file. */
  readonly path: string;
  readonly composer?: string;
  readonly title?: string;
  /** The musical work (ASAP: its folder; MAESTRO: composer + title), shared by all its performances. */
  readonly piece?: string;
  /** Performer code (ASAP file names such as `Shi05M` → `Shi`); absent where the source does not say. */
  readonly performer?: string;
  /** `train`, `validation` or `test` where the source assigns one. */
  readonly split?: string;
  /** `score` for ASAP MIDI scores (only with `includeScores`), otherwise `performance`. */
  readonly kind: 'performance' | 'score';
  /** Duration in seconds as given by the metadata (MAESTRO), not measured. */
  readonly duration?: number;
}
