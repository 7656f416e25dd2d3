// bf16 training (mixed precision): a trainable weight's bf16 copy is what products read, its f32
// master what the optimizer updates. The Linear's forward, input gradient and weight gradient equal
// float64 products of bf16-rounded operands; a frozen bf16 weight's gradient sink does the same; a
// whole model's loss and gradients stay near the f32 ones; AdamW rounds the master into the copy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdamW } from '../../src/heal/adamw.js';
import { syntheticLlama } from '../../src/bench/synthetic-model.js';
import {
  buildModel,
  llamaForward,
  nextTokenTargets,
  trainableParameters,
} from '../../src/model/llama-forward.js';
import { activeIsa, bf16ToF32, f32ToBf16 } from '../../src/native/index.js';
import { linear } from '../../src/tensor/ops/linear.js';
import { Tape } from '../../src/tensor/tape.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { mulberry32, randomF32 } from '../helpers/random.js';
import { gemmReference, maxScaledError } from '../helpers/reference.js';

const rounded = (a: Float32Array): Float32Array => bf16ToF32(f32ToBf16(a));
// The half GEMM rounds its f32 operand to bf16 on the AVX-512 paths (VDPBF16PS, AMX); the AVX2 and
// portable paths widen the weight and keep the activation exact.
const halfRounds = activeIsa() === 'avx512';
const halfOperand = (a: Float32Array): Float32Array => (halfRounds ? rounded(a) : a);
const [N, IN, OUT] = [13, 70, 37];

function product(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
) {
  const base = { transA, transB, m, n, k, alpha: 1, beta: 0, c: [], ldc: n };
  const lda = transA ? m : k;
  const ldb = transB ? k : n;
  const want = gemmReference({ ...base, a, lda, b, ldb });
  const scale = gemmReference({ ...base, a: a.map(Math.abs), lda, b: b.map(Math.abs), ldb });
  return { want, scale };
}

test('a trainable weight with a bf16 copy: forward, dX and dW are products of its bf16 values (and rounded activations)', () => {
  const rand = mulberry32(3);
  const x = new Tensor([N, IN], randomF32(N * IN, rand), true);
  const w = new Tensor([OUT, IN], randomF32(OUT * IN, rand), true);
  w.bf16 = f32ToBf16(w.data as Float32Array);
  const dy = randomF32(N * OUT, rand);
  const tape = new Tape();
  const y = tape.run(() => linear(x, w));
  tape.backward(y, dy);
  const xr = rounded(x.data as Float32Array);
  const wr = rounded(w.data as Float32Array);
  const fwd = product(false, true, N, OUT, IN, halfOperand(x.data as Float32Array), wr);
  assert.ok(maxScaledError(y.data, fwd.want, fwd.scale) < 1e-5, 'forward');
  const dx = product(false, false, N, IN, OUT, halfOperand(dy), wr);
  assert.ok(maxScaledError(x.grad!, dx.want, dx.scale) < 1e-5, 'dX');
  const dw = product(true, false, OUT, IN, N, rounded(dy), xr);
  assert.ok(maxScaledError(w.grad!, dw.want, dw.scale) < 1e-5, 'dW');
});

test("a frozen bf16 weight's gradient sink gets dW from bf16-rounded operands", () => {
  const rand = mulberry32(4);
  const x = new Tensor([N, IN], randomF32(N * IN, rand), true);
  const bits = f32ToBf16(randomF32(OUT * IN, rand));
  const sink = new Float32Array(OUT * IN);
  const dy = randomF32(N * OUT, rand);
  const tape = new Tape();
  const y = tape.run(() => linear(x, { dtype: 'bf16', shape: [OUT, IN], data: bits }, null, sink));
  tape.backward(y, dy);
  const dw = product(true, false, OUT, IN, N, rounded(dy), rounded(x.data as Float32Array));
  assert.ok(maxScaledError(sink, dw.want, dw.scale) < 1e-5);
});

test('a bf16 model trained in bf16: loss and gradients near the f32 ones; AdamW keeps the copy rounded from the master', () => {
  const w = syntheticLlama(
    { hiddenSize: 64, intermediateSize: 96, numLayers: 2, numHeads: 4, numKvHeads: 2, vocabSize: 50 },
    { dtype: 'bf16', seed: 5, std: 0.1 },
  );
  const ids = Int32Array.from({ length: 2 * 9 }, (_, i) => (i * 7 + 3) % 50);
  const targets = nextTokenTargets(ids, 2, 9);
  const run = (compute: 'f32' | 'bf16') => {
    const model = buildModel(w, { trainable: () => true, compute });
    const tape = new Tape();
    const r = llamaForward(model, ids, { batch: 2, seqLen: 9, targets, tape });
    tape.backward(r.loss!);
    return { loss: r.loss!.data[0], params: trainableParameters(model) };
  };
  const f32 = run('f32');
  const bf16 = run('bf16');
  assert.ok(Math.abs(bf16.loss - f32.loss) < 1e-2 * f32.loss, `loss ${bf16.loss} vs ${f32.loss}`);
  const name = 'model.layers.1.mlp.down_proj.weight';
  const g32 = f32.params.get(name)!.grad!;
  const g16 = bf16.params.get(name)!.grad!;
  let dot = 0;
  let n32 = 0;
  let n16 = 0;
  for (let i = 0; i < g32.length; i++) {
    dot += g32[i] * g16[i];
    n32 += g32[i] ** 2;
    n16 += g16[i] ** 2;
  }
  assert.ok(dot / Math.sqrt(n32 * n16) > 0.99, 'gradient direction');
  const p = bf16.params.get(name)!;
  assert.ok(p.bf16, 'trainable matrices get a bf16 copy');
  assert.equal(bf16.params.get('model.norm.weight')!.bf16, null, 'vectors stay f32');
  const opt = new AdamW(bf16.params, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 });
  opt.update(1e-2);
  assert.deepEqual(p.bf16, f32ToBf16(p.data as Float32Array));
});
