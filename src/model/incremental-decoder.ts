// Incremental decoding over a Transformer's weights: the native KV-cached Decoder (native/src/decoder.h)
// as a typed class. Each append costs the forward of the new positions only. Not a sampler and not a
// generation loop (those are src/generate/); positions are absolute, so a full cache is reset and
// re-encoded by the caller.
import { native } from './native.js';

interface NativeDecoder {
  append(tokens: Int32Array, n: number, shared: boolean): Float32Array;
  reset(): void;
  length(): number;
}
type NativeDecoderClass = new (model: unknown, streams: number, capacity: number) => NativeDecoder;

/** A KV cache of `streams` samples over one model; all streams hold the same number of positions. */
export class IncrementalDecoder {
  private readonly decoder: NativeDecoder;

  /** `nativeModel` is the Transformer's native object (Transformer.decoder() passes it). */
  constructor(
    nativeModel: unknown,
    readonly streams: number,
    readonly capacity: number,
    readonly vocabSize: number,
  ) {
    this.decoder = new (native.Decoder as NativeDecoderClass)(nativeModel, streams, capacity);
  }

  /** Positions held by every stream. */
  get length(): number {
    return this.decoder.length();
  }

  /** Forgets every position. */
  reset(): void {
    this.decoder.reset();
  }

  /**
   * Appends n tokens per stream — tokens (streams, n) row-major — and returns the logits (streams, V)
   * of each stream's last new position.
   */
  append(tokens: Int32Array, n: number): Float32Array {
    return this.decoder.append(tokens, n, false);
  }

  /** Appends the same n tokens to every stream (a common prompt: computed once, copied); logits (streams, V). */
  appendShared(tokens: Int32Array): Float32Array {
    return this.decoder.append(tokens, tokens.length, true);
  }
}
