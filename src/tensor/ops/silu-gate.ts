// The SwiGLU MLP's elementwise middle, silu(gate) ⊙ up, fused so the sigmoid is not stored.
import { siluGateBackwardF32, siluGateForwardF32 } from '../../native/ops.js';
import { recordingTape } from '../tape.js';
import type { FloatArray } from '../tensor.js';
import { Tensor } from '../tensor.js';

/** out (N) = silu(gate)·up. */
export function siluGateForward(out: FloatArray, gate: FloatArray, up: FloatArray, N: number): void {
  if (out instanceof Float32Array && gate instanceof Float32Array && up instanceof Float32Array)
    return siluGateForwardF32(out, gate, up, N);
  for (let i = 0; i < N; i++) out[i] = (gate[i] / (1 + Math.exp(-gate[i]))) * up[i];
}

/** Accumulates into dgate and dup (either may be null). */
export function siluGateBackward(
  dgate: FloatArray | null,
  dup: FloatArray | null,
  dout: FloatArray,
  gate: FloatArray,
  up: FloatArray,
  N: number,
): void {
  if (
    (dgate === null || dgate instanceof Float32Array) &&
    (dup === null || dup instanceof Float32Array) &&
    dout instanceof Float32Array &&
    gate instanceof Float32Array &&
    up instanceof Float32Array
  )
    return siluGateBackwardF32(dgate, dup, dout, gate, up, N);
  for (let i = 0; i < N; i++) {
    const g = gate[i];
    const s = 1 / (1 + Math.exp(-g));
    if (dgate) dgate[i] += dout[i] * up[i] * s * (1 + g * (1 - s));
    if (dup) dup[i] += dout[i] * g * s;
  }
}

export function siluGate(gate: Tensor, up: Tensor): Tensor {
  if (gate.size !== up.size || gate.kind !== up.kind)
    throw new RangeError('siluGate: gate and up differ in size or float type');
  const out = Tensor.empty(gate.shape, gate.kind); // written whole by the forward
  siluGateForward(out.data, gate.data, up.data, gate.size);
  const tape = recordingTape(gate, up);
  if (tape) {
    out.requiresGrad = true;
    tape.record(() => {
      if (!out.grad) return;
      siluGateBackward(
        gate.requiresGrad ? gate.ensureGrad() : null,
        up.requiresGrad ? up.ensureGrad() : null,
        out.grad,
        gate.data,
        up.data,
        gate.size,
      );
    }, out);
  }
  return out;
}
