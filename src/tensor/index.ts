// The tensor layer's public surface: values, the tape, and the ops.
export { Tensor, allocFloat, isTensor } from './tensor.js';
export type { FloatArray, FloatKind, Weight } from './tensor.js';
export { Tape, noGrad, isRecording, recordingTape } from './tape.js';
export { weightValues } from './weight-values.js';
export { add } from './ops/add.js';
export { attention } from './ops/attention.js';
export type { AttentionShape } from './ops/attention.js';
export { crossEntropy } from './ops/cross-entropy.js';
export type { CrossEntropyResult } from './ops/cross-entropy.js';
export { embedding } from './ops/embedding.js';
export { linear } from './ops/linear.js';
export { linearCrossEntropy } from './ops/linear-cross-entropy.js';
export { rmsnorm } from './ops/rmsnorm.js';
export { rope } from './ops/rope.js';
export { scale } from './ops/scale.js';
export { siluGate } from './ops/silu-gate.js';
