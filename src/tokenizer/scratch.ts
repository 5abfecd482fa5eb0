// Working memory the base schemes reuse across pieces: module-level typed arrays, grown when too small and
// handed out as views, so that encoding allocates nothing per note or per token. JS runs one call at a
// time, so one array per slot suffices; a result that aliases scratch says so. Not a general pool.

const int32Scratch: Int32Array[] = [];
const float64Scratch: Float64Array[] = [];

/** Int32 scratch slots, one per array alive at the same time. */
export const IntSlot = { onsets: 0, heap: 1, events: 2, ids: 3 } as const;
/** Float64 scratch slots. */
export const FloatSlot = { onTime: 0, offTime: 1 } as const;

/** Scratch Int32Array of length n for `slot` (an IntSlot); contents are garbage. */
export function scratchInt32(slot: number, n: number): Int32Array {
  if (!(int32Scratch[slot]?.length >= n)) int32Scratch[slot] = new Int32Array(Math.max(1024, Math.ceil(n * 1.5)));
  return int32Scratch[slot].subarray(0, n);
}

/** Scratch Float64Array of length n for `slot` (a FloatSlot); contents are garbage. */
export function scratchFloat64(slot: number, n: number): Float64Array {
  if (!(float64Scratch[slot]?.length >= n)) float64Scratch[slot] = new Float64Array(Math.max(1024, Math.ceil(n * 1.5)));
  return float64Scratch[slot].subarray(0, n);
}
