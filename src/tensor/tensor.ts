// The autograd value: a shape over a flat float buffer, plus a gradient buffer that exists only
// when the tensor takes part in a backward pass (frozen weights and no-grad runs never pay for one).
import type { WeightTensor } from '../model/weights.js';
import { elementCount } from '../model/weights.js';
import { adviseHugePages } from '../native/index.js';
import { profiled } from '../native/profile.js';

/** f32 is the fast path (native kernels); f64 exists so gradients can be checked by finite differences. */
export type FloatArray = Float32Array | Float64Array;
export type FloatKind = 'f32' | 'f64';

export class Tensor {
  /** Allocated on first use by a backward pass; same float type as `data`. */
  grad: FloatArray | null = null;
  /**
   * bf16 training (mixed precision): a bf16 copy of `data` that products read instead, with `data`
   * the f32 master the optimizer updates (and then rounds into this copy again). Null: f32 compute.
   */
  bf16: Uint16Array | null = null;
  /**
   * Keep this intermediate tensor's gradient after backward (PyTorch's retain_grad): the tape
   * otherwise hands it back to the pool once the rule consuming it has run.
   */
  retainGrad = false;

  constructor(
    readonly shape: readonly number[],
    readonly data: FloatArray,
    /** Whether a backward pass should compute this tensor's gradient. */
    public requiresGrad = false,
  ) {
    if (elementCount(shape) !== data.length)
      throw new RangeError(`Tensor: shape [${shape.join(', ')}] does not match ${data.length} elements`);
  }

  get size(): number {
    return this.data.length;
  }

  get kind(): FloatKind {
    return this.data instanceof Float64Array ? 'f64' : 'f32';
  }

  /** The gradient buffer, zero-filled on first request so backward rules can accumulate into it. */
  ensureGrad(): FloatArray {
    if (this.grad === null) this.grad = allocFloat(this.kind, this.data.length);
    return this.grad;
  }

  /**
   * The gradient buffer for a backward rule that can write it whole: a new one, not zero-filled, when
   * there is none yet (`fresh`: the rule must overwrite every value), else the existing one to
   * accumulate into. The first rule to reach a tensor in a backward pass writes instead of adding,
   * and the zero fill of its buffer (cold memory at ~8 GB/s) is not paid.
   */
  takeGrad(): { grad: FloatArray; fresh: boolean } {
    if (this.grad !== null) return { grad: this.grad, fresh: false };
    this.grad = allocFloat(this.kind, this.data.length, false);
    return { grad: this.grad, fresh: true };
  }

  /**
   * Hands the gradient buffer back to the pool: for the tape, once the rule that consumes this
   * (intermediate) tensor's gradient has run and nothing will read it again.
   */
  releaseGrad(): void {
    if (this.retainGrad) return;
    if (this.grad) releaseFloat(this.grad);
    this.grad = null;
  }

  /** Resets an accumulated gradient (between optimizer steps) without reallocating it. */
  zeroGrad(): void {
    this.grad?.fill(0);
  }

  static zeros(shape: readonly number[], kind: FloatKind, requiresGrad = false): Tensor {
    return new Tensor(shape, allocFloat(kind, elementCount(shape)), requiresGrad);
  }

  /**
   * A tensor whose values are unspecified (a reused buffer keeps what it held): for an op's output
   * that the op then writes whole, so the pool's buffers are not zero-filled only to be overwritten.
   */
  static empty(shape: readonly number[], kind: FloatKind): Tensor {
    return new Tensor(shape, allocFloat(kind, elementCount(shape), false));
  }

  /**
   * Hands this tensor's buffers back for reuse by later allocations. Only for a tensor nothing else
   * will read again: the temporaries of a no-grad block forward, once the block is done with them.
   */
  release(): void {
    releaseFloat(this.data);
    if (this.grad) releaseFloat(this.grad);
    this.grad = null;
  }
}

/**
 * Released f32 buffers by length, for the next allocation of that length: a no-grad forward's block
 * temporaries come back for the next block, and zero-filling a warm buffer costs far less than
 * fresh pages (allocation was 10-17% of a forward's time).
 */
const pool = new Map<number, Float32Array[]>();
/** The buffers in the pool now: a buffer released twice must not be handed out twice. */
const pooled = new Set<Float32Array>();
let pooledBytes = 0;
const POOL_LIMIT_BYTES = 1 << 30;
/** Buffers of at least this many floats (1 MiB) check whether the heap grew. */
const HUGE_ADVICE_MIN = 1 << 18;

/** A zero-filled buffer of n values (`zero` false: whatever a reused buffer held, for a caller that writes it all). */
export function allocFloat(kind: FloatKind, n: number, zero = true): FloatArray {
  return profiled('allocation', () => {
    if (kind === 'f32') {
      const reused = pool.get(n)?.pop();
      if (reused) {
        pooled.delete(reused);
        pooledBytes -= reused.byteLength;
        return zero ? reused.fill(0) : reused;
      }
      // A caller that writes every value gets memory as malloc hands it over: zero-filling cold heap
      // memory runs at ~8 GB/s here, 0.4-0.5 s of a bf16 training step's forward.
      if (!zero) return new Float32Array(unwrittenBuffer(n * 4));
      const fresh = new Float32Array(n);
      if (n >= HUGE_ADVICE_MIN) adviseHugePages();
      return fresh;
    }
    return new Float64Array(n);
  });
}

/**
 * Memory for data the caller writes whole right away (an op's output, weights being generated or
 * converted): not zero-filled, and when big, its pages advised into huge pages before the first write
 * (one fault per 2 MiB instead of 512; batch-1 decode read generated bf16 weights 8% faster so).
 */
export function unwrittenBuffer(bytes: number): ArrayBuffer {
  const buffer = Buffer.allocUnsafeSlow(bytes).buffer;
  if (bytes >= HUGE_ADVICE_MIN * 4) adviseHugePages();
  return buffer;
}

/** Returns a buffer to the pool (f32 buffers of their own, not views; others are left to the collector). */
function releaseFloat(a: FloatArray): void {
  if (!(a instanceof Float32Array) || a.byteOffset !== 0 || a.byteLength !== a.buffer.byteLength) return;
  if (pooled.has(a) || pooledBytes + a.byteLength > POOL_LIMIT_BYTES) return;
  let list = pool.get(a.length);
  if (!list) pool.set(a.length, (list = []));
  list.push(a);
  pooled.add(a);
  pooledBytes += a.byteLength;
}

/**
 * What an op accepts as a weight: a trainable or converted Tensor, or a frozen WeightTensor in its
 * stored dtype (often mmapped bf16), which is read in place and never gets a gradient.
 */
export type Weight = Tensor | WeightTensor;

export function isTensor(w: Weight): w is Tensor {
  return w instanceof Tensor;
}

export function weightShape(w: Weight): readonly number[] {
  return w.shape;
}
