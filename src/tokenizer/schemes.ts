// Registry of the base schemes: build one by name from stored parameters (tokenizer.json, CLI flags), and
// print ids as token names. Not a place for scheme logic; each scheme lives in its own file.
import type { BaseTokenizer, SchemeName } from './scheme.js';
import { EXPTIME_DEFAULTS, ExpTimeTokenizer } from './exptime.js';
import { LOGBIN_DEFAULTS, LogBinTokenizer } from './logbin.js';

/** The scheme names, the reference-compatible default first. */
export const SCHEME_NAMES: readonly SchemeName[] = ['exptime', 'logbin'];

const DEFAULTS: Record<SchemeName, Readonly<Record<string, number>>> = {
  exptime: EXPTIME_DEFAULTS as unknown as Record<string, number>,
  logbin: LOGBIN_DEFAULTS as unknown as Record<string, number>,
};

/** The default parameters of a scheme (a copy). */
export function defaultParams(name: SchemeName): Record<string, number> {
  return { ...DEFAULTS[name] };
}

/** Builds a scheme by name; `params` (all numbers) override the defaults, unknown names are an error. */
export function createScheme(
  name: SchemeName,
  params: Readonly<Record<string, number | string | boolean>> = {},
): BaseTokenizer {
  const defaults = DEFAULTS[name];
  if (!defaults) throw new Error(`unknown tokenizer scheme '${name}' (known: ${SCHEME_NAMES.join(', ')})`);
  const chosen: Record<string, number> = {};
  for (const [key, value] of Object.entries(params)) {
    if (!(key in defaults))
      throw new Error(`scheme '${name}' has no parameter '${key}' (known: ${Object.keys(defaults).join(', ')})`);
    const v = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new Error(`scheme '${name}': parameter '${key}' must be a number, got ${JSON.stringify(value)}`);
    chosen[key] = v;
  }
  return name === 'exptime' ? new ExpTimeTokenizer(chosen) : new LogBinTokenizer(chosen);
}

/** Ids as their token names separated by spaces (`motif inspect --tokens`); ids outside the vocabulary print as <UNK:id>. */
export function tokenNames(scheme: BaseTokenizer, ids: ArrayLike<number>): string {
  const parts = new Array<string>(ids.length);
  for (let i = 0; i < ids.length; i++) parts[i] = scheme.vocab[ids[i]] ?? `<UNK:${ids[i]}>`;
  return parts.join(' ');
}
