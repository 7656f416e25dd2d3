// Reverse-mode autograd in the llm.c manner: ops record a closure that runs their backward kernel,
// and the tape runs the closures newest first. Recording happens only while a tape is active and
// some input requires a gradient, so no-grad runs keep no activations alive. An op that names the
// tensor its rule reads the gradient of gets that gradient buffer taken back into the pool once the
// rule has run: every consumer of a tensor is recorded after the op that made it and so runs before
// it, and the gradients of a whole model's activations never exist at once.
import { Tensor } from './tensor.js';
import type { Weight } from './tensor.js';

let active: Tape | null = null;

export interface BackwardOptions {
  /**
   * Also hand every tensor the recorded ops made (their values) back to the pool once backward is
   * done, for a caller that keeps none of them (a block recomputed only for its gradients): the
   * next recomputation reuses warm buffers instead of waiting for the collector.
   */
  releaseActivations?: boolean;
}

export class Tape {
  private backwards: (() => void)[] = [];
  /** outputs[i]: the tensor rule i consumes the gradient of, when no later rule reads it. */
  private outputs: (Tensor | null)[] = [];

  /** Runs `fn` with this tape recording the ops it performs. */
  run<T>(fn: () => T): T {
    return withActive(this, fn);
  }

  /**
   * Records an op's backward rule. `output`: the tensor the op made and whose gradient the rule
   * consumes; its gradient buffer is returned to the pool after the rule (unless it is the tensor
   * backward() starts from, whose gradient the caller may read). An op that adds into a tensor
   * another op made (a LoRA branch into its base product) names none.
   */
  record(backward: () => void, output: Tensor | null = null): void {
    this.backwards.push(backward);
    this.outputs.push(output);
  }

  get length(): number {
    return this.backwards.length;
  }

  /**
   * Seeds d(output) (1 for a scalar loss unless given) and runs every recorded backward rule in
   * reverse. The tape is emptied so the closures, and the activations they hold, can be collected.
   */
  backward(output: Tensor, seed?: ArrayLike<number>, opts: BackwardOptions = {}): void {
    const g = output.ensureGrad();
    if (seed) {
      if (seed.length !== g.length)
        throw new RangeError(`Tape.backward: seed has ${seed.length} elements, expected ${g.length}`);
      for (let i = 0; i < g.length; i++) g[i] += seed[i];
    } else {
      if (g.length !== 1) throw new RangeError('Tape.backward: a non-scalar output needs a seed gradient');
      g[0] += 1;
    }
    const rules: ((() => void) | null)[] = this.backwards;
    const outputs = this.outputs;
    this.backwards = [];
    this.outputs = [];
    for (let i = rules.length - 1; i >= 0; i--) {
      rules[i]!();
      // The rule and what it held (its activations) can be collected now.
      rules[i] = null;
      const out = outputs[i];
      if (out && out !== output) out.releaseGrad();
    }
    if (opts.releaseActivations)
      for (const out of outputs) if (out && out !== output && !out.retainGrad) out.release();
  }

  /** Drops recorded rules without running them (e.g. after an evaluation-only forward). */
  clear(): void {
    this.backwards = [];
    this.outputs = [];
  }
}

/** The tape an op should record on, or null when nothing needs a gradient. */
export function recordingTape(...inputs: (Weight | null | undefined)[]): Tape | null {
  if (active === null) return null;
  for (const t of inputs) if (t instanceof Tensor && t.requiresGrad) return active;
  return null;
}

/** Runs `fn` with recording switched off, whatever tape is active. */
export function noGrad<T>(fn: () => T): T {
  return withActive(null, fn);
}

function withActive<T>(tape: Tape | null, fn: () => T): T {
  const previous = active;
  active = tape;
  try {
    return fn();
  } finally {
    active = previous;
  }
}

export function isRecording(): boolean {
  return active !== null;
}
