// The fused bf16 activation (native/src/kernels/activation.cc, activationForwardBf16 /
// activationBackwardBf16) on every ISA table this CPU runs: bit for bit the fp32 activation followed by
// f32ToBf16, and the bias gradient equal to the column sums of the fp32 gradient (to fp32 summation
// order), on shapes that are not multiples of the kernels' strips, over more threads than cores too;
// and through no activation, how every bf16 linear layer rounds its output gradient.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kernels } from '../../src/model/kernels.js';
import { expectClose } from '../helpers/close.js';
import { isaConfigs, useIsa } from '../helpers/isa.js';
import { Rng } from '../../src/util/rng.js';

const shapes: [number, number][] = [
  [1, 1],
  [3, 513],
  [37, 1000],
  [70, 2048],
];

function random(n: number, rng: Rng, scale = 3): Float32Array {
  return Float32Array.from({ length: n }, () => (rng.nextFloat() * 2 - 1) * scale);
}

for (const config of isaConfigs()) {
  describe(`fused bf16 activation (${config.isa}, ${config.threads} threads)`, () => {
    useIsa(config);
    for (const gelu of [true, false]) {
      const name = gelu ? 'GELU' : 'ReLU';
      it(`${name} forward: the fp32 kernel's values rounded to bf16, bit for bit`, () => {
        const rng = new Rng(11);
        for (const [N, F] of shapes) {
          const x = random(N * F, rng);
          const fp32 = new Float32Array(N * F);
          (gelu ? kernels.geluForward : kernels.reluForward)(fp32, x);
          const want = new Uint16Array(N * F);
          kernels.f32ToBf16(want, fp32);
          const got = new Uint16Array(N * F);
          kernels.activationForwardBf16(got, x, gelu ? 2 : 1);
          assert.deepEqual(got, want, `${name} ${N}×${F}`);
        }
      });

      it(`${name} backward: the fp32 gradient rounded to bf16, and its column sums added to db`, () => {
        const rng = new Rng(12);
        for (const [N, F] of shapes) {
          const x = random(N * F, rng);
          const dout = random(N * F, rng, 1);
          const dx = new Float32Array(N * F);
          (gelu ? kernels.geluBackward : kernels.reluBackward)(dx, dout, x);
          const want = new Uint16Array(N * F);
          kernels.f32ToBf16(want, dx);
          const db0 = random(F, rng, 1);
          const wantDb = Float64Array.from(db0);
          for (let r = 0; r < N; r++) for (let f = 0; f < F; f++) wantDb[f] += dx[r * F + f];
          const got = new Uint16Array(N * F);
          const db = Float32Array.from(db0);
          kernels.activationBackwardBf16(got, db, dout, x, N, F, gelu ? 2 : 1);
          assert.deepEqual(got, want, `${name} dx ${N}×${F}`);
          expectClose(db, wantDb, { rtol: 1e-5, atol: 1e-5 * Math.sqrt(N), label: `${name} db ${N}×${F}` });
        }
      });
    }

    it('forward through no activation: plain rounding, as f32ToBf16', () => {
      const x = random(3 * 513, new Rng(14));
      const want = new Uint16Array(x.length);
      kernels.f32ToBf16(want, x);
      const got = new Uint16Array(x.length);
      kernels.activationForwardBf16(got, x, 0);
      assert.deepEqual(got, want);
    });

    it('backward through no activation: the gradient itself rounded, its column sums into db, or no db', () => {
      const rng = new Rng(13);
      for (const [N, F] of shapes) {
        const dout = random(N * F, rng, 1);
        const want = new Uint16Array(N * F);
        kernels.f32ToBf16(want, dout);
        const wantDb = new Float64Array(F);
        for (let r = 0; r < N; r++) for (let f = 0; f < F; f++) wantDb[f] += dout[r * F + f];
        const got = new Uint16Array(N * F);
        const db = new Float32Array(F);
        kernels.activationBackwardBf16(got, db, dout, new Float32Array(N * F).fill(NaN), N, F, 0);
        assert.deepEqual(got, want, `dy ${N}×${F}`);
        expectClose(db, wantDb, { rtol: 1e-5, atol: 1e-5 * Math.sqrt(N), label: `db ${N}×${F}` });
        got.fill(0);
        kernels.activationBackwardBf16(got, null, dout, dout, N, F, 0);
        assert.deepEqual(got, want, `dy ${N}×${F} without db`);
      }
    });
  });
}
