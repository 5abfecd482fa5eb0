// Reads and writes the safetensors format (huggingface/safetensors): 8-byte little-endian header
// length, a JSON header {name: {dtype, shape, data_offsets}, __metadata__: {string: string}}, then
// raw little-endian data. F32 and I32 only, which is all motif stores; not a general tensor library.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

/** A tensor as stored: shape and flat data. */
export interface StoredTensor {
  shape: number[];
  data: Float32Array | Int32Array;
}

/** The contents of a safetensors file. */
export interface SafetensorsFile {
  tensors: Map<string, StoredTensor>;
  metadata: Record<string, string>;
}

const DTYPES = { F32: Float32Array, I32: Int32Array } as const;

/** Writes tensors (in the map's order) and string metadata to `path`, streaming each tensor. */
export function writeSafetensors(
  path: string,
  tensors: Map<string, StoredTensor>,
  metadata: Record<string, string> = {},
): void {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length)
      throw new Error(
        `safetensors ${path}: tensor '${name}' has ${t.data.length} values, shape [${t.shape}] needs ${count}`,
      );
    header[name] = {
      dtype: t.data instanceof Int32Array ? 'I32' : 'F32',
      shape: t.shape,
      data_offsets: [offset, offset + t.data.byteLength],
    };
    offset += t.data.byteLength;
  }
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8); // data starts 8-byte aligned
  const head = Buffer.alloc(8 + Buffer.byteLength(json));
  head.writeBigUInt64LE(BigInt(head.length - 8), 0);
  head.write(json, 8);
  const fd = openSync(path, 'w');
  const writeAll = (bytes: Uint8Array) => {
    for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done);
  };
  try {
    writeAll(head);
    for (const t of tensors.values()) writeAll(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  } finally {
    closeSync(fd);
  }
}

/** Reads a safetensors file; errors name the file and the problem. */
export function readSafetensors(path: string): SafetensorsFile {
  const bytes = readFileSync(path);
  const fail = (why: string): never => {
    throw new Error(`safetensors ${path}: ${why}`);
  };
  if (bytes.length < 8) fail('file too short');
  const n = Number(bytes.readBigUInt64LE(0));
  if (8 + n > bytes.length) fail(`header length ${n} exceeds the file size ${bytes.length}`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(bytes.toString('utf8', 8, 8 + n)) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`safetensors ${path}: header is not JSON (${(err as Error).message})`, { cause: err });
  }
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  const tensors = new Map<string, StoredTensor>();
  const base = 8 + n;
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const {
      dtype,
      shape,
      data_offsets: [start, end],
    } = info as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const Ctor = DTYPES[dtype as keyof typeof DTYPES];
    if (!Ctor) fail(`tensor '${name}' has dtype ${dtype}; motif reads F32 and I32`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - start !== count * 4 || base + end > bytes.length)
      fail(`tensor '${name}' has bad data_offsets [${start}, ${end}] for shape [${shape}]`);
    // Copy: the file's data need not be 4-byte aligned inside Node's buffer.
    const data = new Ctor(count);
    new Uint8Array(data.buffer).set(bytes.subarray(base + start, base + end));
    tensors.set(name, { shape, data });
  }
  return { tensors, metadata };
}
