// The embedding methods `motif evaluate-embeddings` measures, on their own so the CLI can name them without
// loading the evaluation (and the native core with it) at start-up.

/** The methods an evaluation can measure, in the order they are reported. */
export const METHODS = ['learned', 'learned_mean', 'random_init', 'handcrafted'] as const;
export type Method = (typeof METHODS)[number];
