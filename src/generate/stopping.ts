// Stopping criteria: when one stream of a generation is done. Each looks at what the stream has
// produced since the prompt; generate() stops a stream at the first criterion that holds.

/** What a stream has produced since its prompt. */
export interface StreamProgress {
  /** Ids generated (the prompt not counted). */
  tokens: number;
  /** Notes begun after the prompt. */
  notes: number;
  /** Seconds of music after the end of the prompt. */
  seconds: number;
  /** The model produced <EOS>. */
  ended: boolean;
}

/** Says whether a stream should stop. */
export type StoppingCriterion = (s: StreamProgress) => boolean;

/** Stops at <EOS>. */
export const atEos: StoppingCriterion = (s) => s.ended;

/** Stops after n generated ids. */
export function maxTokens(n: number): StoppingCriterion {
  return (s) => s.tokens >= n;
}

/** Stops once n notes have begun. */
export function maxNotes(n: number): StoppingCriterion {
  return (s) => s.notes >= n;
}

/** Stops once the music reaches `seconds` past the prompt. */
export function maxSeconds(seconds: number): StoppingCriterion {
  return (s) => s.seconds >= seconds;
}

/** True when any criterion holds. */
export function shouldStop(s: StreamProgress, criteria: readonly StoppingCriterion[]): boolean {
  return criteria.some((c) => c(s));
}
