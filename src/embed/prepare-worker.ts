// Worker thread of prepareItems: builds the preparer once from workerData, then prepares one file per message.
// Nothing else: the protocol is in src/util/pool.ts, the work in prepare.ts.
import { workerData } from 'node:worker_threads';
import { serveTasks } from '../util/pool.js';
import { makePreparer, type PrepareSpec, type PrepareTask, type PreparedPiece } from './prepare.js';

const prepare = makePreparer(workerData as PrepareSpec);

serveTasks<PrepareTask, PreparedPiece>((task) => {
  const result = prepare(task);
  const buffers = [result.ids, result.handcrafted, result.excerpt?.ids, result.excerpt?.handcrafted]
    .filter((a) => a !== undefined)
    .map((a) => a.buffer as ArrayBuffer);
  return { result, transfer: buffers };
});
