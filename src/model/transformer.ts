// The transformer as a typed TypeScript class: a thin layer over the native Model (native/src/model.h,
// binding_model.cc) plus checkpoints in safetensors. All computation is native; this file only
// maps configs, names tensors and moves bytes. Training loops and schedules live elsewhere.
// The model in one sitting: python/motif_model.py (MotifModel), the same network with the same tensor
// names in PyTorch, which test/model/fixtures.test.ts checks this one against; natively, native/src/layers.cc.
import { native } from './native.js';
import { modelConfig, trainConfig, type ModelConfig, type TrainConfig } from './config.js';
import { readSafetensors, writeSafetensors, type StoredTensor } from './safetensors.js';
import { IncrementalDecoder } from './incremental-decoder.js';
import type { Precision } from './precision.js';

/** Name, shape and place of one parameter tensor in the native layout. */
export interface TensorInfo {
  name: string;
  shape: number[];
  /** Offset in floats within one layout copy (params, grads, m or v). */
  offset: number;
  size: number;
}

/** Result of one training step. */
export interface StepStats {
  /** Mean next-token cross-entropy of the batch (before the update, without the L1 term). */
  loss: number;
  /** Global gradient norm before clipping (including the L1 gradient). */
  gradNorm: number;
  /** λ·Σ|w| added to the loss (0 when L1 is off). */
  l1Penalty: number;
}

interface OptimizerOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  clip: number;
  l1: number;
}

interface NativeModel {
  forwardBackward(tokens: Int32Array, B: number, T: number): number;
  optimizerStep(lr: number, o: OptimizerOptions): { gradNorm: number; l1Penalty: number };
  evalLoss(tokens: Int32Array, B: number, T: number): { loss: number; count: number };
  embed(tokens: Int32Array, B: number, T: number, mask: Uint8Array, layer?: number): Float32Array;
  pooledForward(tokens: Int32Array, B: number, T: number, mask: Uint8Array): Float32Array;
  pooledBackward(dout: Float32Array): void;
  logits(tokens: Int32Array, B: number, T: number, rows: Int32Array): Float32Array;
  tensors(): TensorInfo[];
  buffer(): ArrayBuffer;
  paddedSize(): number;
  numParameters(): number;
  gradNorm(): number;
  getStep(): number;
  setStep(step: number): void;
  precision(): Precision;
  setPrecision(p: Precision): void;
}

type NativeModelClass = new (config: Record<string, number | boolean>, seed: number) => NativeModel;

/** Name prefixes of the AdamW moments in checkpoint files (PyTorch's optimizer state names). */
export const OPTIMIZER_PREFIXES = { m: 'optimizer.exp_avg.', v: 'optimizer.exp_avg_sq.' } as const;

/** A decoder-only transformer with its AdamW state, trained and run by the native core. */
export class Transformer {
  private readonly tensorList: TensorInfo[];
  private readonly block: Float32Array;
  private readonly padded: number;

  private constructor(
    /** The validated architecture. */
    readonly config: ModelConfig,
    /** Seed of the initialisation and of dropout masks (with the step). */
    readonly seed: number,
    /** Optimizer settings used by trainStep. */
    public optim: TrainConfig,
    private readonly model: NativeModel,
  ) {
    this.tensorList = model.tensors();
    this.padded = model.paddedSize();
    this.block = new Float32Array(model.buffer());
  }

  /** A freshly initialised model (PyTorch's default initialisation, seeded). */
  static create(config: Partial<ModelConfig>, seed = 0, optim: Partial<TrainConfig> = {}): Transformer {
    const c = modelConfig(config);
    const Model = native.Model as NativeModelClass;
    const model = new Model(
      {
        V: c.vocabSize,
        maxT: c.maxLen,
        C: c.dModel,
        L: c.nLayers,
        NH: c.nHeads,
        F: c.dFF,
        dropout: c.dropout,
        preLN: c.layout === 'pre-ln',
        gelu: c.activation === 'gelu',
        tiedHead: c.tiedHead,
        headBias: c.headBias,
        padId: c.padId,
      },
      seed,
    );
    return new Transformer(c, seed, trainConfig(optim), model);
  }

  /**
   * The matmuls' precision: 'bf16' multiplies bf16 copies of the fp32 weights and activations on the
   * active bf16 GEMM path (native.bf16Path()) with fp32 sums; parameters, optimizer, norms, softmax and
   * loss stay fp32 (native/src/model.h). Not saved in checkpoints: the weights are fp32 either way.
   */
  get precision(): Precision {
    return this.model.precision();
  }

  set precision(p: Precision) {
    this.model.setPrecision(p);
  }

  /** Optimizer steps taken so far (0 for weights saved without the optimizer: AdamW restarts). */
  get step(): number {
    return this.model.getStep();
  }

  // Steps that trained the loaded weights, kept for provenance when the optimizer state was not saved.
  private stepsBeforeLoad = 0;

  /** Training steps behind these weights, also for weights exported without the optimizer. */
  get trainedSteps(): number {
    return Math.max(this.step, this.stepsBeforeLoad);
  }

  /** Number of parameters (a tied head counted once). */
  get numParameters(): number {
    return this.model.numParameters();
  }

  /** Every parameter tensor's name, shape and offset, in storage order. */
  get tensors(): readonly TensorInfo[] {
    return this.tensorList;
  }

  /** One training step on tokens (B, T): forward, backward, L1, clipping, AdamW at `lr`. */
  trainStep(tokens: Int32Array, B: number, T: number, lr: number): StepStats {
    const loss = this.forwardBackward(tokens, B, T);
    return { loss, ...this.optimizerStep(lr) };
  }

  /** Forward and backward only: returns the mean loss and leaves its gradients in gradients(). */
  forwardBackward(tokens: Int32Array, B: number, T: number): number {
    return this.model.forwardBackward(tokens, B, T);
  }

  /** The optimizer half of trainStep, on the gradients currently held; `clip` overrides the configured clip norm (≤ 0: off). */
  optimizerStep(lr: number, clip = this.optim.clipNorm): { gradNorm: number; l1Penalty: number } {
    const o = this.optim;
    // The native core applies λ·Σ|w|; the mean form is the same penalty with λ spread over the parameters.
    const l1 = o.l1Form === 'mean' ? o.l1 / this.numParameters : o.l1;
    return this.model.optimizerStep(lr, {
      beta1: o.beta1,
      beta2: o.beta2,
      eps: o.eps,
      weightDecay: o.weightDecay,
      clip,
      l1,
    });
  }

  /** Mean next-token loss without dropout, and the number of targets it averages over. */
  evalLoss(tokens: Int32Array, B: number, T: number): { loss: number; count: number } {
    return this.model.evalLoss(tokens, B, T);
  }

  /**
   * Song embeddings (B, C): a hidden state mean-pooled over positions where mask is non-zero. By default
   * the last one (the paper's); `layer` l in [0, nLayers) pools the output of the first l blocks instead
   * (0: the token + position embeddings), running only those blocks.
   */
  embed(tokens: Int32Array, mask: Uint8Array, B: number, T: number, layer?: number): Float32Array {
    return this.model.embed(tokens, B, T, mask, layer);
  }

  /**
   * The contrastive objective's forward: embed() in training mode (dropout on, activations kept). The
   * caller computes its loss on these vectors and passes their gradient to {@link pooledBackward}.
   */
  pooledForward(tokens: Int32Array, mask: Uint8Array, B: number, T: number): Float32Array {
    return this.model.pooledForward(tokens, B, T, mask);
  }

  /** Zeroes the gradients and backpropagates `dout` (B, C), the gradient at the last pooledForward's vectors. */
  pooledBackward(dout: Float32Array): void {
    this.model.pooledBackward(dout);
  }

  /** Logits (R, V) at flat positions rows[i] = b·T + t of tokens (B, T). */
  logits(tokens: Int32Array, B: number, T: number, rows: Int32Array): Float32Array {
    return this.model.logits(tokens, B, T, rows);
  }

  /** A KV-cached decoder over these weights for `streams` samples of up to `capacity` positions (default maxLen). */
  decoder(streams = 1, capacity = this.config.maxLen): IncrementalDecoder {
    return new IncrementalDecoder(this.model, streams, capacity, this.config.vocabSize);
  }

  /** Current global gradient norm. */
  gradNorm(): number {
    return this.model.gradNorm();
  }

  /** Live views of the parameters by PyTorch state_dict name (writes change the model). */
  parameters(): Map<string, Float32Array> {
    return this.views(0);
  }

  /** Live views of the gradients of the last forwardBackward. */
  gradients(): Map<string, Float32Array> {
    return this.views(1);
  }

  private views(copy: 0 | 1 | 2 | 3): Map<string, Float32Array> {
    const base = copy * this.padded;
    return new Map(
      this.tensorList.map((t) => [t.name, this.block.subarray(base + t.offset, base + t.offset + t.size)]),
    );
  }

  /** Writes a checkpoint: parameters (PyTorch names) and, unless optimizer is false, AdamW moments and step. */
  save(path: string, { optimizer = true }: { optimizer?: boolean } = {}): void {
    const out = new Map<string, StoredTensor>();
    const add = (prefix: string, copy: 0 | 2 | 3) => {
      const views = this.views(copy);
      for (const t of this.tensorList) out.set(prefix + t.name, { shape: t.shape, data: views.get(t.name)! });
    };
    add('', 0);
    if (optimizer) {
      add(OPTIMIZER_PREFIXES.m, 2);
      add(OPTIMIZER_PREFIXES.v, 3);
    }
    writeSafetensors(path, out, {
      format: 'pt',
      'motif.config': JSON.stringify(this.config),
      'motif.optim': JSON.stringify(this.optim),
      'motif.seed': String(this.seed),
      'motif.step': String(optimizer ? this.step : 0),
      'motif.trained_steps': String(this.trainedSteps),
    });
  }

  /** Loads a checkpoint written by save() or weights written by python/motif_model.py (then pass the config). */
  static load(path: string, config?: Partial<ModelConfig>): Transformer {
    const file = readSafetensors(path);
    const meta = file.metadata;
    const json = (key: string) => {
      try {
        return JSON.parse(meta[key]) as unknown;
      } catch (err) {
        throw new Error(`${path}: metadata '${key}' is not valid JSON`, { cause: err });
      }
    };
    if (!config && !meta['motif.config'])
      throw new Error(`${path}: no motif.config in the metadata; pass the model config to load plain weights`);
    const cfg = config ?? (json('motif.config') as Partial<ModelConfig>);
    const optim = meta['motif.optim'] ? (json('motif.optim') as Partial<TrainConfig>) : {};
    const model = Transformer.create(cfg, Number(meta['motif.seed'] ?? 0), optim);
    model.setState(file.tensors, path);
    if (meta['motif.step']) model.model.setStep(Number(meta['motif.step']));
    model.stepsBeforeLoad = Number(meta['motif.trained_steps'] ?? 0);
    return model;
  }

  // Copies every parameter (and moments when present) from stored tensors, checking names and shapes.
  private setState(stored: Map<string, StoredTensor>, path: string): void {
    const known = new Set<string>();
    for (const [copy, prefix] of [
      [0, ''],
      [2, OPTIMIZER_PREFIXES.m],
      [3, OPTIMIZER_PREFIXES.v],
    ] as const) {
      const views = this.views(copy);
      for (const t of this.tensorList) {
        const name = prefix + t.name;
        known.add(name);
        const s = stored.get(name);
        if (!s) {
          if (copy === 0) throw new Error(`${path}: missing tensor '${name}'`);
          continue;
        }
        if (s.shape.join(',') !== t.shape.join(','))
          throw new Error(`${path}: tensor '${name}' has shape [${s.shape}], the model needs [${t.shape}]`);
        views.get(t.name)!.set(s.data);
      }
    }
    // A tied head saved by PyTorch's own state_dict repeats tok.weight as head.weight.
    if (this.config.tiedHead) known.add('head.weight');
    const extra = [...stored.keys()].filter((k) => !known.has(k));
    if (extra.length)
      throw new Error(
        `${path}: tensors the model does not have: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', ...' : ''}`,
      );
  }
}
