// Elementwise sum, the residual connection: the gradient passes unchanged to both inputs.
import { addBackwardF32, addForwardF32 } from '../../native/ops.js';
import { recordingTape } from '../tape.js';
import type { FloatArray } from '../tensor.js';
import { Tensor } from '../tensor.js';

// Below this many elements the native call costs more than the loop.
const NATIVE_MIN = 4096;

export function addForward(out: FloatArray, a: FloatArray, b: FloatArray, N: number): void {
  if (
    N >= NATIVE_MIN &&
    out instanceof Float32Array &&
    a instanceof Float32Array &&
    b instanceof Float32Array
  )
    return addForwardF32(out, a, b, N);
  for (let i = 0; i < N; i++) out[i] = a[i] + b[i];
}

/** Accumulates dout into da and db (either may be null). */
export function addBackward(da: FloatArray | null, db: FloatArray | null, dout: FloatArray, N: number): void {
  if (
    N >= NATIVE_MIN &&
    (da === null || da instanceof Float32Array) &&
    (db === null || db instanceof Float32Array) &&
    dout instanceof Float32Array
  )
    return addBackwardF32(da, db, dout, N);
  if (da) for (let i = 0; i < N; i++) da[i] += dout[i];
  if (db) for (let i = 0; i < N; i++) db[i] += dout[i];
}

export function add(a: Tensor, b: Tensor): Tensor {
  if (a.size !== b.size || a.kind !== b.kind)
    throw new RangeError('add: inputs differ in size or float type');
  const out = Tensor.empty(a.shape, a.kind); // written whole by the forward
  addForward(out.data, a.data, b.data, a.size);
  const tape = recordingTape(a, b);
  if (tape) {
    out.requiresGrad = true;
    tape.record(() => {
      if (!out.grad) return;
      // An input whose gradient this is the first to reach takes a copy; others accumulate.
      const ga = a.requiresGrad ? a.takeGrad() : null;
      if (ga?.fresh) ga.grad.set(out.grad);
      const gb = b.requiresGrad ? b.takeGrad() : null;
      if (gb?.fresh) gb.grad.set(out.grad);
      const da = ga && !ga.fresh ? ga.grad : null;
      const db = gb && !gb.fresh ? gb.grad : null;
      if (da || db) addBackward(da, db, out.grad, a.size);
    }, out);
  }
  return out;
}
