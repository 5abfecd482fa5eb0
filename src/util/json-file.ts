// Reading motif's own JSON records (run config, checkpoint state, best pointer, store info, reports):
// a garbled or truncated file must say which file it is, not only "Unexpected end of JSON input".
import { readFileSync } from 'node:fs';

/** Parses the JSON file at `path`, or throws naming the file and what is wrong with it. */
export function readJsonFile<T>(path: string): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${path}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, {
      cause: err,
    });
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`${path}: damaged, not valid JSON (${(err as Error).message})`, { cause: err });
  }
}
