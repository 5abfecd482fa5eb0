// fp32 ↔ bf16 conversion of the native core (kernels.f32ToBf16 / bf16ToF32, native/src/kernels/bf16.cc)
// for every ISA table this CPU runs: bit for bit against the by-value reference in reference-kernels.ts
// on ties, NaN, infinities, denormals and overflow, on every bf16 neighbourhood and on random bit
// patterns; and against PyTorch's own rounding where Debian's torch is installed.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { native } from '../../src/model/native.js';
import { kernels } from '../../src/model/kernels.js';
import { bf16ToF32, f32ToBf16 } from '../../src/model/reference-kernels.js';
import { PYTHON, torchSkip } from '../helpers/torch.js';

const initialIsa = native.isa();
after(() => native.setIsa(initialIsa));

/** float32 values from raw bit patterns. */
const fromBits = (bits: number[] | Uint32Array) => new Float32Array(Uint32Array.from(bits).buffer);

/** Hand-derived cases (bits in → bf16 bits out), the IEEE rules the reference must itself obey. */
const special: [number, number, string][] = [
  [0x00000000, 0x0000, '+0'],
  [0x80000000, 0x8000, '-0'],
  [0x3f800000, 0x3f80, '1 exactly'],
  [0x3f808000, 0x3f80, '1 + 2⁻⁸: a tie, kept (even)'],
  [0x3f818000, 0x3f82, 'a tie next to an odd bf16: up to even'],
  [0x3f807fff, 0x3f80, 'just under a tie: down'],
  [0x3f808001, 0x3f81, 'just over a tie: up'],
  [0xbf818000, 0xbf82, 'negative tie: away from zero to even'],
  [0x7f800000, 0x7f80, '+Inf'],
  [0xff800000, 0xff80, '-Inf'],
  [0x7f7fffff, 0x7f80, 'largest float32: past bf16 max + half ulp, overflows to +Inf'],
  [0x7f7f7fff, 0x7f7f, 'under bf16 max + half ulp: stays finite'],
  [0x7f7f8000, 0x7f80, 'tie at bf16 max (odd): to even, which is +Inf'],
  [0xff7fffff, 0xff80, 'most negative float32: -Inf'],
  [0x7fc00000, 0x7fc0, 'quiet NaN'],
  [0x7f800001, 0x7fc0, 'signalling NaN with payload in the low half only: still NaN (quiet)'],
  [0xffa00000, 0xffe0, 'negative signalling NaN: sign and payload kept, made quiet'],
  [0x7fffffff, 0x7fff, 'NaN with every payload bit'],
  [0x00000001, 0x0000, 'smallest denormal: down to +0'],
  [0x80008000, 0x8000, 'denormal tie next to even: -0'],
  [0x00018000, 0x0002, 'denormal tie next to odd: up'],
  [0x00018001, 0x0002, 'denormal just over a tie'],
  [0x007fffff, 0x0080, 'largest denormal: up to the smallest normal'],
  [0x00400000, 0x0040, 'a denormal exactly representable'],
];

/** Every bf16 value's neighbourhood (low halves at and around the tie) plus random patterns. */
function sweep(): Float32Array {
  const lows = [0x0000, 0x0001, 0x7fff, 0x8000, 0x8001, 0xffff];
  const bits = new Uint32Array(65536 * lows.length + (1 << 18) + 7); // + 7: not a multiple of any vector width
  let n = 0;
  for (let hi = 0; hi < 65536; hi++) for (const lo of lows) bits[n++] = ((hi << 16) | lo) >>> 0;
  let s = 12345;
  while (n < bits.length) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    bits[n++] = s;
  }
  return fromBits(bits);
}

/** The first index where native and reference disagree, as a readable message, or null. */
function firstMismatch(src: Float32Array, got: Uint16Array): string | null {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) {
    const want = f32ToBf16(src[i]);
    if (got[i] !== want)
      return `[${i}] 0x${bits[i].toString(16).padStart(8, '0')} → native 0x${got[i].toString(16)}, reference 0x${want.toString(16)}`;
  }
  return null;
}

describe('bf16 reference rounding', () => {
  it('obeys the hand-derived IEEE cases', () => {
    const src = fromBits(special.map(([b]) => b));
    special.forEach(([, want, what], i) => assert.equal(f32ToBf16(src[i]).toString(16), want.toString(16), what));
  });
});

for (const isa of native.availableIsas()) {
  describe(`bf16 conversion (${isa})`, () => {
    it('f32ToBf16 gives the hand-derived bits for ties, NaN, Inf, overflow and denormals', () => {
      assert.ok(native.setIsa(isa));
      // Repeated 3× and offset by one so each case sits in vector lanes and in the scalar tail.
      const cases = special.map(([b]) => b);
      const src = fromBits([0x3f800000, ...cases, ...cases, ...cases]);
      const out = new Uint16Array(src.length);
      kernels.f32ToBf16(out, src);
      special.forEach(([bits, want, what], i) => {
        for (const rep of [0, 1, 2])
          assert.equal(
            out[1 + rep * cases.length + i].toString(16),
            want.toString(16),
            `${isa}: 0x${bits.toString(16)} (${what})`,
          );
      });
    });

    it('f32ToBf16 matches the reference on every bf16 neighbourhood and on random bit patterns', () => {
      assert.ok(native.setIsa(isa));
      const src = sweep();
      for (const n of [src.length, 1, 15, 17, 33]) {
        const out = new Uint16Array(n).fill(0xdead);
        kernels.f32ToBf16(out, src.subarray(0, n));
        assert.equal(firstMismatch(src.subarray(0, n), out), null, `${isa}, n = ${n}`);
      }
    });

    it('bf16ToF32 widens every one of the 65,536 patterns exactly, and rounding them back is the identity', () => {
      assert.ok(native.setIsa(isa));
      const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
      const wide = new Float32Array(all.length);
      kernels.bf16ToF32(wide, all);
      const wideBits = new Uint32Array(wide.buffer);
      for (let i = 0; i < all.length; i++) {
        assert.equal(wideBits[i], (i << 16) >>> 0, `bf16 0x${i.toString(16)}`);
        if (!Number.isNaN(wide[i]))
          assert.ok(Object.is(wide[i], bf16ToF32(i)), `bf16 0x${i.toString(16)} vs reference`);
      }
      const back = new Uint16Array(all.length);
      kernels.f32ToBf16(back, wide);
      // NaNs come back quiet: only signalling ones (bit 6 clear) change, and only by that bit.
      for (let i = 0; i < all.length; i++)
        assert.equal(back[i], Number.isNaN(wide[i]) ? i | 0x40 : i, `round trip of 0x${i.toString(16)}`);
    });

    it('rejects a source shorter than the destination', () => {
      assert.throws(() => kernels.f32ToBf16(new Uint16Array(8), new Float32Array(7)), RangeError);
      assert.throws(() => kernels.bf16ToF32(new Float32Array(8), new Uint16Array(7)), RangeError);
      assert.throws(
        () => kernels.f32ToBf16(new Float32Array(8) as unknown as Uint16Array, new Float32Array(8)),
        TypeError,
      );
    });
  });
}

describe('bf16 conversion against PyTorch', () => {
  it(
    'gives the bits of torch.Tensor.to(torch.bfloat16) for every non-NaN value of the sweep',
    { skip: torchSkip },
    () => {
      const src = sweep();
      const out = new Uint16Array(src.length);
      kernels.f32ToBf16(out, src);
      const script = `
import sys, numpy, torch
x = torch.from_numpy(numpy.frombuffer(sys.stdin.buffer.read(), dtype=numpy.float32).copy())
sys.stdout.buffer.write(x.to(torch.bfloat16).view(torch.int16).numpy().tobytes())`;
      const r = spawnSync(PYTHON, ['-c', script], { input: Buffer.from(src.buffer), maxBuffer: 1 << 26 });
      assert.equal(r.status, 0, r.stderr?.toString());
      const torchBits = new Uint16Array(r.stdout.buffer, r.stdout.byteOffset, src.length);
      let compared = 0;
      for (let i = 0; i < src.length; i++) {
        if (Number.isNaN(src[i])) continue; // torch writes one canonical NaN; motif keeps sign and payload
        compared++;
        if (out[i] !== torchBits[i])
          assert.fail(`[${i}] ${src[i]}: motif 0x${out[i].toString(16)}, torch 0x${torchBits[i].toString(16)}`);
      }
      assert.ok(compared > 300000, `compared ${compared} values`);
    },
  );
});
