// Shared numeric comparison for tests: asserts |actual - expected| ≤ atol + rtol·|expected| element-wise,
// and on failure names the worst element (index, both values, both errors) so a broken kernel is easy
// to locate. It is not a statistics helper: no means, no norms.
import assert from 'node:assert/strict';

/** Tolerances and a label for the failure message; atol may be one bound per element. */
export interface CloseOptions {
  rtol?: number;
  atol?: number | ArrayLike<number>;
  label?: string;
}

type Numbers = ArrayLike<number> | number;

/** Fails unless every element of `actual` is within atol + rtol·|expected| of `expected` (NaN only matches NaN). */
export function expectClose(
  actual: Numbers,
  expected: Numbers,
  { rtol = 1e-5, atol = 1e-6, label = 'value' }: CloseOptions = {},
): void {
  const a = typeof actual === 'number' ? [actual] : actual;
  const e = typeof expected === 'number' ? [expected] : expected;
  assert.equal(a.length, e.length, `${label}: length ${a.length} differs from expected ${e.length}`);
  const atolAt = typeof atol === 'number' ? () => atol : (i: number) => atol[i];
  let worst = -1;
  let worstExcess = 0;
  let failures = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = e[i];
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
    // A NaN difference (one side NaN, or opposite infinities) is an infinite excess.
    const excess = Math.abs(x - y) - (atolAt(i) + rtol * Math.abs(y));
    if (!(excess <= 0)) {
      failures++;
      if (worst < 0 || !(excess <= worstExcess)) {
        worst = i;
        worstExcess = Number.isNaN(excess) ? Infinity : excess;
      }
    }
  }
  if (failures > 0) {
    const x = a[worst];
    const y = e[worst];
    const diff = Math.abs(x - y);
    assert.fail(
      `${label}: ${failures} of ${a.length} elements differ beyond atol=${atolAt(worst)} rtol=${rtol}; ` +
        `worst at [${worst}]: actual ${x}, expected ${y}, |diff| ${diff}, relative ${diff / Math.abs(y)}`,
    );
  }
}
