// Worker thread of encodeItems: builds the encoder once from workerData, then encodes one file per message.
// Nothing else: the protocol and error handling are in pool.ts, the pipeline in encode.ts.
import { makeFileEncoder, type EncodedFile, type EncoderSpec, type EncodeTask } from './encode.js';
import { serveTasks } from '../util/pool.js';
import { workerData } from 'node:worker_threads';

const encode = makeFileEncoder(workerData as EncoderSpec);

serveTasks<EncodeTask, EncodedFile>((task) => {
  const result = encode(task);
  return { result, transfer: [result.ids.buffer as ArrayBuffer] };
});
