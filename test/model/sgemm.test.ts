// SGEMM of the native core against a plain float64 TypeScript reference: odd shapes, all four
// transpose combinations, alpha/beta (beta 0 over a C full of NaN), leading dimensions wider than
// the rows, every ISA this CPU can run, one and several threads, and concurrent callers.
// Speed is bench/sgemm.mjs's business, not this file's.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { native, type IsaName } from '../../src/model/native.js';
import { expectClose } from '../helpers/close.js';
import { gemmShape, rng, type GemmShape } from './gemm-case.js';
import { restoreIsaAfter, useIsa } from '../helpers/isa.js';

interface Case extends GemmShape {
  A: Float32Array;
  B: Float32Array;
  C: Float32Array;
}

function makeCase(
  M: number,
  N: number,
  K: number,
  transA: boolean,
  transB: boolean,
  alpha: number,
  beta: number,
  seed: number,
  pad = 3,
): Case {
  const rand = rng(seed);
  const shape = gemmShape(M, N, K, transA, transB, alpha, beta, pad);
  const fill = (n: number) => Float32Array.from({ length: n }, () => rand() * 2 - 1);
  const A = fill((transA ? K : M) * shape.lda);
  const B = fill((transB ? N : K) * shape.ldb);
  // beta = 0 must not read C: NaN there would leak into the result if it did.
  const C = beta === 0 ? new Float32Array(M * shape.ldc).fill(NaN) : fill(M * shape.ldc);
  return { ...shape, A, B, C };
}

/** The reference: C (M, N) = alpha·op(A)·op(B) + beta·C in float64, returned densely (row stride N). */
function reference(c: Case): Float64Array {
  const out = new Float64Array(c.M * c.N);
  for (let i = 0; i < c.M; i++)
    for (let j = 0; j < c.N; j++) {
      let s = 0;
      for (let k = 0; k < c.K; k++) {
        const a = c.transA ? c.A[k * c.lda + i] : c.A[i * c.lda + k];
        const b = c.transB ? c.B[j * c.ldb + k] : c.B[k * c.ldb + j];
        s += a * b;
      }
      out[i * c.N + j] = c.alpha * s + (c.beta === 0 ? 0 : c.beta * c.C[i * c.ldc + j]);
    }
  return out;
}

/** Runs the native sgemm on a copy of C; returns the dense (M, N) result and the copy (to check the padding). */
function run(c: Case): { dense: Float32Array; full: Float32Array } {
  const full = c.C.slice();
  native.sgemm(c.transA, c.transB, c.M, c.N, c.K, c.alpha, c.A, c.lda, c.B, c.ldb, c.beta, full, c.ldc);
  const dense = new Float32Array(c.M * c.N);
  for (let i = 0; i < c.M; i++) dense.set(full.subarray(i * c.ldc, i * c.ldc + c.N), i * c.N);
  return { dense, full };
}

// Float32 accumulation over K terms of size ≤ 1: error grows about linearly in K at worst.
const tolerance = (K: number) => ({ rtol: 1e-5, atol: 2e-6 * (K + 1) });

const isas = native.availableIsas();
restoreIsaAfter();

const transposes: [boolean, boolean][] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];
const oddShapes: [number, number, number][] = [
  [1, 1, 1],
  [1, 7, 33],
  [7, 1, 129],
  [33, 129, 1],
  [7, 33, 129],
  [129, 33, 7],
  [13, 47, 300],
  [37, 65, 0],
];

for (const isa of isas) {
  describe(`sgemm (${isa})`, () => {
    useIsa({ isa, threads: native.threads() });
    it('matches the float64 reference on odd shapes, all transposes, alpha/beta, padded rows', () => {
      let seed = 1;
      for (const [M, N, K] of oddShapes)
        for (const [ta, tb] of transposes)
          for (const [alpha, beta] of [
            [1, 0],
            [0.5, 1],
            [-1.25, -0.5],
          ]) {
            const c = makeCase(M, N, K, ta, tb, alpha, beta, seed++);
            const { dense, full } = run(c);
            const label = `${isa} M=${M} N=${N} K=${K} transA=${ta} transB=${tb} alpha=${alpha} beta=${beta}`;
            expectClose(dense, reference(c), { ...tolerance(K), label });
            // Columns past N in each row of C are not C's: they must be untouched.
            for (let i = 0; i < M; i++)
              for (let j = N; j < c.ldc; j++)
                assert.ok(Object.is(full[i * c.ldc + j], c.C[i * c.ldc + j]), `${label}: wrote C[${i}, ${j}] past N`);
          }
    });

    it('matches the reference on random shapes large enough to use several threads and K slices', () => {
      const rand = rng(42);
      for (let trial = 0; trial < 6; trial++) {
        const M = 1 + Math.floor(rand() * 200);
        const N = 1 + Math.floor(rand() * 200);
        const K = 250 + Math.floor(rand() * 1500); // crosses the K slice boundaries of every ISA (256..768)
        const [ta, tb] = transposes[trial % 4];
        const c = makeCase(M, N, K, ta, tb, 0.75, trial % 2 ? 0 : 2, 100 + trial, trial);
        expectClose(run(c).dense, reference(c), {
          ...tolerance(K),
          label: `${isa} random M=${M} N=${N} K=${K} transA=${ta} transB=${tb}`,
        });
      }
    });

    it('alpha = 0 scales C by beta without reading A and B', () => {
      const c = makeCase(9, 21, 17, false, true, 0, -2, 7);
      c.A.fill(NaN);
      const expected = Float64Array.from(
        { length: c.M * c.N },
        (_, x) => -2 * c.C[Math.floor(x / c.N) * c.ldc + (x % c.N)],
      );
      expectClose(run(c).dense, expected, { rtol: 0, atol: 0, label: `${isa} alpha=0` });
    });
  });
}

describe('sgemm across ISAs and threads', () => {
  it('every available ISA gives the same result as the others, on 1 and on 2 threads', () => {
    const c = makeCase(301, 257, 600, false, true, 1, 0.5, 9);
    const expected = reference(c);
    const results = new Map<string, Float32Array>();
    for (const isa of isas)
      for (const threads of [1, 2]) {
        assert.ok(native.setIsa(isa));
        native.setThreads(threads);
        const { dense } = run(c);
        expectClose(dense, expected, { ...tolerance(c.K), label: `${isa} on ${threads} threads vs reference` });
        results.set(`${isa}/${threads}`, dense);
      }
    const base = results.get('generic/1');
    assert.ok(base);
    // The paths differ only in float32 rounding (K slices and vector widths differ), a tenth of the reference tolerance.
    for (const [key, r] of results)
      expectClose(r, base, { rtol: 1e-5, atol: 2e-7 * c.K, label: `${key} vs generic/1` });
  });

  it('gives correct results while worker threads call it concurrently', async () => {
    const isa: IsaName = isas[isas.length - 1];
    native.setIsa(isa);
    native.setThreads(2);
    const c = makeCase(150, 140, 300, true, false, 1, 0, 11);
    const expected = reference(c);
    // Workers load the same addon and share its pool; each checks its own products.
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      const native = require(workerData.addon);
      const { M, N, K } = workerData;
      const A = new Float32Array(K * M).fill(0.5), B = new Float32Array(K * N).fill(2), C = new Float32Array(M * N);
      let ok = true;
      for (let r = 0; r < 20; r++) {
        native.sgemm(true, false, M, N, K, 1, A, M, B, N, 0, C, N);
        if (C.some((v) => v !== K)) ok = false;
      }
      parentPort.postMessage(ok);`;
    const addon = new URL('../../build/Release/motif_native.node', import.meta.url).pathname;
    const workers = [0, 1].map(() => new Worker(source, { eval: true, workerData: { addon, M: 97, N: 131, K: 64 } }));
    const done = workers.map(
      (w) =>
        new Promise<boolean>((resolve, reject) => {
          w.once('message', resolve);
          w.once('error', reject);
        }),
    );
    for (let r = 0; r < 10; r++)
      expectClose(run(c).dense, expected, { ...tolerance(c.K), label: `main thread, round ${r}` });
    assert.deepEqual(await Promise.all(done), [true, true]);
    await Promise.all(workers.map((w) => w.terminate()));
  });

  it('rejects arrays too short for the shape and leading dimensions', () => {
    const A = new Float32Array(10);
    const B = new Float32Array(100);
    const C = new Float32Array(100);
    assert.throws(() => native.sgemm(false, false, 4, 4, 4, 1, A, 4, B, 4, 0, C, 4), RangeError);
    assert.throws(() => native.sgemm(false, false, 4, 4, 4, 1, B, 3, B, 4, 0, C, 4), RangeError);
    assert.throws(() => native.sgemm(false, false, -1, 4, 4, 1, B, 4, B, 4, 0, C, 4), RangeError);
  });
});
