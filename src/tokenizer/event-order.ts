// The order of note events both base schemes write: onsets by (time, pitch), and note-on/off events merged in
// the order the reference reaches with its two stable sorts. Works on typed arrays in scratch memory (no
// object per note). Not the tokens themselves (vocab-layout.ts) nor how time is quantized (each scheme).
import { IntSlot, scratchInt32 } from './scratch.js';

/** Note indices sorted by (time, pitch, index); aliases scratch. */
export function onsetOrder(n: number, time: Float64Array, pitch: Uint8Array): Int32Array {
  const order = scratchInt32(IntSlot.onsets, n);
  for (let i = 0; i < n; i++) order[i] = i;
  const cmp = (a: number, b: number): number => time[a] - time[b] || pitch[a] - pitch[b] || a - b;
  for (let i = 1; i < n; i++) {
    if (time[i] < time[i - 1]) return order.sort(cmp); // input not sorted by time: no shortcut
  }
  // Sorted by time already (the Notes contract); only runs of equal times (chords) may need reordering.
  for (let a = 0; a < n;) {
    let b = a + 1;
    while (b < n && time[b] === time[a]) b++;
    if (b - a > 32) order.subarray(a, b).sort(cmp);
    else {
      for (let i = a + 1; i < b; i++) {
        const x = order[i];
        let j = i - 1;
        while (j >= a && pitch[order[j]] > pitch[x]) {
          order[j + 1] = order[j];
          j--;
        }
        order[j + 1] = x;
      }
    }
    a = b;
  }
  return order;
}

/**
 * All note-on and note-off events of n notes, ordered by time, note-offs before note-ons at equal
 * times, then ascending pitch, then note index: the order the reference reaches with its two stable
 * sorts. Returns codes `note << 1 | 1` for a note-on and `note << 1` for a note-off.
 * Requires offTime[i] > onTime[i]. Note-offs wait in a min-heap, so the cost is n·log(polyphony).
 * The result aliases scratch: use it before the next call.
 */
export function orderEvents(n: number, onTime: Float64Array, offTime: Float64Array, pitch: Uint8Array): Int32Array {
  const ons = onsetOrder(n, onTime, pitch);
  const out = scratchInt32(IntSlot.events, 2 * n);
  const heap = scratchInt32(IntSlot.heap, n);
  let size = 0;
  const less = (a: number, b: number): boolean =>
    offTime[a] < offTime[b] || (offTime[a] === offTime[b] && (pitch[a] < pitch[b] || (pitch[a] === pitch[b] && a < b)));
  const pop = (): number => {
    const top = heap[0];
    const x = heap[--size];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && less(heap[c + 1], heap[c])) c++;
      if (!less(heap[c], x)) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = x;
    return top;
  };
  let w = 0;
  for (let r = 0; r < n; r++) {
    const note = ons[r];
    const t = onTime[note];
    while (size > 0 && offTime[heap[0]] <= t) out[w++] = pop() << 1;
    out[w++] = (note << 1) | 1;
    let i = size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(note, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = note;
  }
  while (size > 0) out[w++] = pop() << 1;
  return out;
}
