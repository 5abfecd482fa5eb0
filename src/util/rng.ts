// motif's seeded random source (training windows, excerpts, layouts, sampling): xoshiro128** (Blackman &
// Vigna) over four uint32 words, seeded through splitmix32. Its whole state is four numbers, so a checkpoint
// can store it and a resumed run draws exactly the same windows. Not cryptographic; not used by the native core.

/** The complete generator state (four uint32 words), as stored in checkpoints. */
export type RngState = [number, number, number, number];

/** A small deterministic PRNG with a serializable state. */
export class Rng {
  private s: Uint32Array;

  /** Seeds from an integer (any 32-bit value; equal seeds give equal streams). */
  constructor(seed: number) {
    this.s = new Uint32Array(4);
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      // splitmix32: spreads a small seed over all four words so no word starts at zero.
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  /** A generator continuing from a stored state. */
  static fromState(state: RngState): Rng {
    const r = new Rng(0);
    r.state = state;
    return r;
  }

  /** The current state (a copy). */
  get state(): RngState {
    return [this.s[0], this.s[1], this.s[2], this.s[3]];
  }

  set state(v: RngState) {
    if (v.length !== 4 || v.every((w) => w === 0)) throw new Error('rng: a state is four uint32 words, not all zero');
    this.s.set(v.map((w) => w >>> 0));
  }

  /** Next uint32. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n), for n up to 2^53. */
  nextInt(n: number): number {
    return Math.floor(this.nextFloat() * n);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
