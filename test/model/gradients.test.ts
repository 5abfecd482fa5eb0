// Backward of every layer, in two steps: (1) the float64 reference backward of
// src/model/reference-kernels.ts against central finite differences of the reference forward (relative
// 1e-6), and the reference attention against a naive full-matrix softmax(QKᵀ/√d + mask)·V; (2) the native
// backward kernels of every ISA against the reference backward, starting from non-zero gradients so the
// += contract is checked too. Whole-model gradients are the model tests' business.
import { describe, it } from 'node:test';
import { kernels } from '../../src/model/kernels.js';
import * as ref from '../../src/model/reference-kernels.js';
import { Rng } from '../../src/util/rng.js';
import { expectClose } from '../helpers/close.js';
import { isaConfigs, useIsa } from '../helpers/isa.js';

const rng = new Rng(44);
const uniform64 = (n: number, lo = -1, hi = 1) =>
  Float64Array.from({ length: n }, () => lo + (hi - lo) * rng.nextFloat());
const uniform = (n: number, lo = -1, hi = 1) => Float32Array.from(uniform64(n, lo, hi));
const ints = (n: number, limit: number) => Int32Array.from({ length: n }, () => rng.nextU32() % limit);
/** A random size in [1, max], so each suite also covers a shape nobody picked. */
const size = (max: number) => 1 + (rng.nextU32() % max);
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** Central differences of loss() with respect to every element of x (perturbed in place). */
function numericGrad(x: Float64Array, loss: () => number, h = 1e-5): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    x[i] = v + h;
    const up = loss();
    x[i] = v - h;
    const down = loss();
    x[i] = v;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

const FD = { rtol: 1e-6, atol: 1e-8 };

describe('reference backward against finite differences (float64)', () => {
  it('linear', () => {
    const [N, IC, OC] = [3, 5, 4];
    const x = uniform64(N * IC),
      W = uniform64(OC * IC),
      b = uniform64(OC),
      dy = uniform64(N * OC);
    const loss = () => dot(dy, ref.linearForward(x, W, b, N, IC, OC));
    const g = ref.linearBackward(dy, x, W, N, IC, OC);
    expectClose(g.dx, numericGrad(x, loss), { ...FD, label: 'dx' });
    expectClose(g.dW, numericGrad(W, loss), { ...FD, label: 'dW' });
    expectClose(g.db, numericGrad(b, loss), { ...FD, label: 'db' });
  });

  it('embedding (repeated tokens)', () => {
    const [B, T, C, V] = [2, 3, 4, 3];
    const tokens = Int32Array.from([0, 2, 0, 0, 1, 2]);
    const wte = uniform64(V * C),
      wpe = uniform64(T * C),
      dout = uniform64(B * T * C);
    const loss = () => dot(dout, ref.embeddingForward(tokens, wte, wpe, B, T, C));
    const g = ref.embeddingBackward(dout, tokens, B, T, C, V, T);
    expectClose(g.dwte, numericGrad(wte, loss), { ...FD, label: 'dwte' });
    expectClose(g.dwpe, numericGrad(wpe, loss), { ...FD, label: 'dwpe' });
  });

  it('layernorm', () => {
    const [N, C] = [3, 7];
    const x = uniform64(N * C, -2, 3),
      w = uniform64(C),
      b = uniform64(C),
      dout = uniform64(N * C);
    const loss = () => dot(dout, ref.layernormForward(x, w, b, N, C).out);
    const g = ref.layernormBackward(dout, x, w, N, C);
    expectClose(g.dx, numericGrad(x, loss), { ...FD, label: 'dx' });
    expectClose(g.dw, numericGrad(w, loss), { ...FD, label: 'dw' });
    expectClose(g.db, numericGrad(b, loss), { ...FD, label: 'db' });
  });

  it('relu (away from the kink) and gelu', () => {
    const x = uniform64(40, -5, 5).map((v) => (Math.abs(v) < 0.01 ? 0.5 : v));
    const dout = uniform64(40);
    expectClose(
      ref.reluBackward(dout, x),
      numericGrad(x, () => dot(dout, ref.reluForward(x))),
      { ...FD, label: 'relu' },
    );
    expectClose(
      ref.geluBackward(dout, x),
      numericGrad(x, () => dot(dout, ref.geluForward(x))),
      { ...FD, label: 'gelu' },
    );
  });

  it('dropout', () => {
    const x = uniform64(50),
      dout = uniform64(50);
    const loss = () => dot(dout, ref.dropoutForward(x, 0.3, 5));
    expectClose(ref.dropoutBackward(dout, 0.3, 5), numericGrad(x, loss), { ...FD, label: 'dropout' });
  });

  it('attention, dropout off and on', () => {
    const [B, T, C, NH] = [2, 5, 8, 2];
    for (const p of [0, 0.3]) {
      const qkv = uniform64(B * T * 3 * C, -1.5, 1.5),
        dout = uniform64(B * T * C);
      const loss = () => dot(dout, ref.attentionForward(qkv, B, T, C, NH, p, 17).out);
      expectClose(ref.attentionBackward(dout, qkv, B, T, C, NH, p, 17), numericGrad(qkv, loss), {
        ...FD,
        label: `dqkv p=${p}`,
      });
    }
  });

  it('cross-entropy (an ignored row, gradient scale)', () => {
    const [N, V] = [4, 7];
    const logits = uniform64(N * V, -3, 3),
      targets = Int32Array.from([3, -100, 0, 6]);
    const loss = () => 0.5 * ref.crossentropyForward(logits, targets, N, V, -100).total;
    expectClose(ref.crossentropyBackward(logits, targets, N, V, -100, 0.5), numericGrad(logits, loss), {
      ...FD,
      label: 'dlogits',
    });
  });

  it('mean pool and the L1 penalty', () => {
    const [B, T, C] = [3, 4, 5];
    const h = uniform64(B * T * C),
      dout = uniform64(B * C);
    const mask = Uint8Array.from([1, 0, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1]);
    const loss = () => dot(dout, ref.meanpoolForward(h, mask, B, T, C));
    expectClose(ref.meanpoolBackward(dout, mask, B, T, C), numericGrad(h, loss), { ...FD, label: 'dh' });
    const w = uniform64(20);
    expectClose(
      ref.l1Grad(new Float64Array(20), w, 0.1),
      numericGrad(w, () => 0.1 * ref.sumAbs(w)),
      { ...FD, label: 'l1' },
    );
  });
});

describe('reference attention against the full-matrix formula', () => {
  it('softmax(QKᵀ/√d + causal mask)·V', () => {
    for (const [B, T, C, NH] of [
      [1, 1, 4, 1],
      [2, 9, 12, 3],
      [1, 33, 16, 2],
    ]) {
      const HS = C / NH;
      const qkv = uniform64(B * T * 3 * C, -2, 2);
      const expected = new Float64Array(B * T * C);
      const at = (b: number, t: number, part: number, h: number, d: number) =>
        qkv[(b * T + t) * 3 * C + part * C + h * HS + d];
      for (let b = 0; b < B; b++)
        for (let h = 0; h < NH; h++) {
          // S = Q Kᵀ / √d + M, M = -∞ above the diagonal; A = softmax by rows; O = A V.
          const S = Array.from({ length: T }, (_, i) =>
            Array.from({ length: T }, (_, j) => {
              let s = 0;
              for (let d = 0; d < HS; d++) s += at(b, i, 0, h, d) * at(b, j, 1, h, d);
              return s / Math.sqrt(HS) + (j > i ? -Infinity : 0);
            }),
          );
          for (let i = 0; i < T; i++) {
            const e = S[i].map((s) => Math.exp(s - Math.max(...S[i])));
            const z = e.reduce((a, v) => a + v, 0);
            for (let d = 0; d < HS; d++)
              expected[(b * T + i) * C + h * HS + d] = e.reduce((a, v, j) => a + (v / z) * at(b, j, 2, h, d), 0);
          }
        }
      const label = `B${B} T${T} C${C} NH${NH}`;
      expectClose(ref.attentionForward(qkv, B, T, C, NH).out, expected, {
        rtol: 1e-12,
        atol: 1e-14,
        label: `reference ${label}`,
      });
      const out = new Float32Array(B * T * C);
      kernels.attentionForward(out, new Float32Array(B * NH * T), Float32Array.from(qkv), B, T, C, NH, 0, 0);
      expectClose(out, expected, { rtol: 1e-4, atol: 2e-5, label: `native ${label}` });
    }
  });
});

/** a + b elementwise, as float64 (the expected value of an accumulating native backward). */
const plus = (a: ArrayLike<number>, b: ArrayLike<number>) => Float64Array.from(a, (v, i) => v + b[i]);

for (const config of isaConfigs()) {
  describe(`native backward kernels accumulate the reference gradients (${config.isa}, ${config.threads} threads)`, () => {
    useIsa(config);
    const tol = { rtol: 1e-4, atol: 2e-5 };

    it('linear (and null gradients are skipped)', () => {
      for (const [N, IC, OC] of [
        [1, 1, 1],
        [7, 5, 3],
        [33, 17, 129],
        [129, 64, 33],
        [size(200), size(100), size(100)],
      ]) {
        const x = uniform(N * IC),
          W = uniform(OC * IC),
          dy = uniform(N * OC);
        const r = ref.linearBackward(dy, x, W, N, IC, OC);
        const dx = uniform(N * IC),
          dW = uniform(OC * IC),
          db = uniform(OC);
        const [dx0, dW0, db0] = [dx.slice(), dW.slice(), db.slice()];
        kernels.linearBackward(dx, dW, db, dy, x, W, N, IC, OC);
        const label = `linear ${N}x${IC}x${OC}`;
        expectClose(dx, plus(dx0, r.dx), { ...tol, label: `${label} dx` });
        expectClose(dW, plus(dW0, r.dW), { ...tol, label: `${label} dW` });
        expectClose(db, plus(db0, r.db), { ...tol, label: `${label} db` });
        kernels.linearBackward(null, null, db, dy, x, W, N, IC, OC);
        expectClose(
          db,
          plus(
            db0,
            r.db.map((v) => 2 * v),
          ),
          { ...tol, label: `${label} db only` },
        );
      }
    });

    it('embedding (many repeated tokens)', () => {
      for (const [B, T, C, V] of [
        [1, 1, 1, 1],
        [2, 7, 33, 3],
        [4, 64, 20, 50],
      ]) {
        const tokens = ints(B * T, V),
          dout = uniform(B * T * C);
        const r = ref.embeddingBackward(dout, tokens, B, T, C, V, T);
        const dwte = uniform(V * C),
          dwpe = uniform(T * C);
        const [dwte0, dwpe0] = [dwte.slice(), dwpe.slice()];
        kernels.embeddingBackward(dwte, dwpe, dout, tokens, B, T, C);
        expectClose(dwte, plus(dwte0, r.dwte), { ...tol, label: `dwte ${B}x${T}x${C}` });
        expectClose(dwpe, plus(dwpe0, r.dwpe), { ...tol, label: `dwpe ${B}x${T}x${C}` });
      }
    });

    it('layernorm', () => {
      for (const [N, C] of [
        [1, 1],
        [7, 5],
        [33, 17],
        [129, 384],
        [size(200), size(500)],
      ]) {
        const x = uniform(N * C, -2, 3),
          w = uniform(C),
          b = uniform(C),
          dout = uniform(N * C);
        const out = new Float32Array(N * C),
          mean = new Float32Array(N),
          rstd = new Float32Array(N);
        kernels.layernormForward(out, mean, rstd, x, w, b, N, C);
        const r = ref.layernormBackward(dout, x, w, N, C);
        const dx = uniform(N * C),
          dw = uniform(C),
          db = uniform(C);
        const [dx0, dw0, db0] = [dx.slice(), dw.slice(), db.slice()];
        kernels.layernormBackward(dx, dw, db, dout, x, w, mean, rstd, N, C);
        const label = `layernorm ${N}x${C}`;
        expectClose(dx, plus(dx0, r.dx), { ...tol, label: `${label} dx` });
        expectClose(dw, plus(dw0, r.dw), { ...tol, label: `${label} dw` });
        expectClose(db, plus(db0, r.db), { ...tol, label: `${label} db` });
      }
    });

    it('relu, gelu, dropout', () => {
      for (const n of [1, 7, 33, 4099]) {
        const x = uniform(n, -6, 6),
          dout = uniform(n),
          dx = uniform(n);
        const dx0 = dx.slice();
        kernels.reluBackward(dx, dout, x);
        expectClose(dx, plus(dx0, ref.reluBackward(dout, x)), { rtol: 1e-6, atol: 1e-7, label: `relu ${n}` });
        dx.set(dx0);
        kernels.geluBackward(dx, dout, x);
        expectClose(dx, plus(dx0, ref.geluBackward(dout, x)), { rtol: 1e-5, atol: 2e-7, label: `gelu ${n}` });
        for (const p of [0, 0.25]) {
          dx.set(dx0);
          kernels.dropoutBackward(dx, dout, p, 1234);
          expectClose(dx, plus(dx0, ref.dropoutBackward(dout, p, 1234)), {
            rtol: 1e-6,
            atol: 1e-7,
            label: `dropout ${n} p=${p}`,
          });
        }
      }
    });

    it('attention, head sizes 8 and 64, dropout off and on', () => {
      const heads = size(3);
      for (const [B, T, C, NH] of [
        [1, 1, 8, 1],
        [2, 5, 24, 3],
        [1, 7, 10, 2],
        [1, 67, 128, 2],
        [1, 130, 16, 2],
        [2, 130, 64, 1],
        [size(2), size(150), heads * 8 * size(8), heads],
      ]) {
        for (const p of [0, 0.2]) {
          const qkv = uniform(B * T * 3 * C, -2, 2),
            dout = uniform(B * T * C);
          const out = new Float32Array(B * T * C),
            lse = new Float32Array(B * NH * T);
          kernels.attentionForward(out, lse, qkv, B, T, C, NH, p, 77);
          const dqkv = uniform(B * T * 3 * C);
          const dqkv0 = dqkv.slice();
          kernels.attentionBackward(dqkv, dout, qkv, out, lse, B, T, C, NH, p, 77);
          expectClose(dqkv, plus(dqkv0, ref.attentionBackward(dout, qkv, B, T, C, NH, p, 77)), {
            rtol: 1e-4,
            atol: 5e-5,
            label: `attention B${B} T${T} C${C} NH${NH} p${p}`,
          });
        }
      }
    });

    it('mean pool', () => {
      const [B, T, C] = [3, 33, 17];
      const dout = uniform(B * C),
        dh = uniform(B * T * C);
      const mask = Uint8Array.from({ length: B * T }, (_, i) => (i < T ? 0 : i % 3 ? 1 : 0));
      const dh0 = dh.slice();
      kernels.meanpoolBackward(dh, dout, mask, B, T, C);
      expectClose(dh, plus(dh0, ref.meanpoolBackward(dout, mask, B, T, C)), {
        rtol: 1e-5,
        atol: 1e-6,
        label: 'meanpool',
      });
    });
  });
}
