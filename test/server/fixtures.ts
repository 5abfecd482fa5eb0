// An explorer to test against: the labelled dataset and tiny run of the embedding tests, embedded into a
// store, served by createExplorer on a free loopback port. Callers close it when done; the folder goes when
// the test file's process exits (helpers/temp-dir.ts).
import { join } from 'node:path';
import { openDataset } from '../../src/data/dataset.js';
import { embedDataset } from '../../src/embed/embed-dataset.js';
import { loadRunModel } from '../../src/run/run-model.js';
import { createExplorer, type Explorer, type ExplorerOptions } from '../../src/server/explorer.js';
import { writeLabelledDataset, writeTinyRun } from '../helpers/labelled-dataset.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A served explorer and what it was made from. */
export interface ServedExplorer extends Explorer {
  /** http://127.0.0.1:<port> (no trailing slash). */
  base: string;
  root: string;
  data: string;
  store: string;
  runDir: string;
  /** Ids of the stored pieces. */
  ids: string[];
  notes: string[];
  close(): Promise<void>;
}

/** Makes the dataset, run and store under a fresh temp folder (once per test file). */
export async function makeStore(): Promise<{
  root: string;
  data: string;
  store: string;
  runDir: string;
  ids: string[];
}> {
  const root = tempDir('serve');
  const data = join(root, 'asap');
  const ids = writeLabelledDataset(data);
  const runDir = join(root, 'run');
  writeTinyRun(data, ids, runDir);
  const store = join(root, 'store');
  await embedDataset(loadRunModel(runDir, 'epoch-1'), openDataset(data).items, {
    out: store,
    source: { dataset: data },
  });
  return { root, data, store, runDir, ids };
}

/** Serves the store of {@link makeStore} (made when not given) on 127.0.0.1 at a free port. */
export async function serveExplorer(
  made?: Awaited<ReturnType<typeof makeStore>>,
  options: Partial<ExplorerOptions> = {},
): Promise<ServedExplorer> {
  const m = made ?? (await makeStore());
  const notes: string[] = [];
  const explorer = await createExplorer({ store: m.store, onNote: (n) => notes.push(n), ...options });
  const base = (await explorer.app.listen({ host: '127.0.0.1', port: 0 })).replace(/\/$/, '');
  return {
    ...explorer,
    ...m,
    base,
    notes,
    close: async () => {
      await explorer.app.close();
    },
  };
}
