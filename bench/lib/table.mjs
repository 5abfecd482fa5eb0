// Plain-text tables for benchmark output: the first two columns (names) left-aligned, numbers right-aligned.

/** The lines of a table with `header` over `rows` (arrays of strings), columns two spaces apart. */
export function formatTable(header, rows) {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells) => cells.map((x, c) => (c < 2 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join('  ');
  return [line(header), ...rows.map(line)];
}
