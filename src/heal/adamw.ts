// AdamW with decoupled weight decay (Loshchilov & Hutter; PyTorch's torch.optim.AdamW update order)
// over f32 master weights (and their bf16 compute copies in bf16 training), and clipping by the
// global gradient norm.
import { adamwUpdateF32, scaleInPlaceF32, sumSquaresF32 } from '../native/ops.js';
import { f32ToBf16 } from '../native/index.js';
import type { Tensor } from '../tensor/tensor.js';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Parameters that get no weight decay (norm gains, biases). */
  noDecay?: (name: string) => boolean;
}

/** Optimizer state: first and second moments per parameter, and the number of steps taken. */
export class AdamW {
  readonly m = new Map<string, Float32Array>();
  readonly v = new Map<string, Float32Array>();
  step = 0;

  constructor(
    readonly params: Map<string, Tensor>,
    readonly options: AdamWOptions,
  ) {
    for (const [name, p] of params) {
      if (p.kind !== 'f32') throw new TypeError(`AdamW: parameter '${name}' must be f32 (master weights)`);
      this.m.set(name, new Float32Array(p.size));
      this.v.set(name, new Float32Array(p.size));
    }
  }

  /** One update with learning rate `lr` from the gradients held by the parameters. */
  update(lr: number): void {
    const { beta1, beta2, eps, weightDecay } = this.options;
    this.step++;
    const bc1 = 1 - Math.pow(beta1, this.step);
    const bc2 = 1 - Math.pow(beta2, this.step);
    const stepSize = lr / bc1;
    const sqrtBc2 = Math.sqrt(bc2);
    for (const [name, p] of this.params) {
      const g = p.grad;
      if (!g) continue;
      const w = p.data;
      const m = this.m.get(name)!;
      const v = this.v.get(name)!;
      const decay = this.options.noDecay?.(name) ? 0 : lr * weightDecay;
      adamwUpdateF32(w as Float32Array, g as Float32Array, m, v, {
        decay,
        beta1,
        beta2,
        stepSize,
        sqrtBc2,
        eps,
      });
      // bf16 training: products read the bf16 copy, so it follows the updated f32 master.
      if (p.bf16) f32ToBf16(w as Float32Array, p.bf16);
    }
  }
}

/** √(Σ g²) over every parameter's gradient (NaN/Inf propagate, so the caller can detect them). */
export function globalGradNorm(params: Map<string, Tensor>): number {
  let sum = 0;
  for (const p of params.values()) {
    const g = p.grad;
    if (g instanceof Float32Array) sum += sumSquaresF32(g);
    else if (g) for (let i = 0; i < g.length; i++) sum += g[i] * g[i];
  }
  return Math.sqrt(sum);
}

/** Scales every gradient by maxNorm/norm when norm exceeds maxNorm (torch.nn.utils.clip_grad_norm_). */
export function clipGradients(params: Map<string, Tensor>, norm: number, maxNorm: number): void {
  if (!(maxNorm > 0) || norm <= maxNorm) return;
  const f = maxNorm / (norm + 1e-6);
  for (const p of params.values()) {
    const g = p.grad;
    if (g instanceof Float32Array) scaleInPlaceF32(g, f);
    else if (g) for (let i = 0; i < g.length; i++) g[i] *= f;
  }
}
