// A 7B-shaped Q4_K_M GGUF for the memory check of scripts/large-model.ts, written without an f32
// copy of the model: a pool of real q4_K and q6_K blocks (random normal weights through our
// llama.cpp-exact quantizer) is cut into tensors at random block offsets, with llama.cpp's Q4_K_M
// choice of q6_K for attn_v, ffn_down and the classifier.
import { statSync } from 'node:fs';
import type { GgmlQuantType } from '../src/formats/ggml-types.js';
import { ggmlQuantType } from '../src/formats/ggml-types.js';
import { writeGguf } from '../src/formats/gguf-writer.js';
import type { LlamaConfig } from '../src/model/config.js';
import { seededRandom } from '../src/model/sampling.js';
import type { ModelWeights, WeightTensor } from '../src/model/weights.js';
import { layerPrefix } from '../src/model/weights.js';
import { fillNormal } from '../src/native/ops.js';
import { quantize } from '../src/native/quant.js';
import { typedTokenizerKeys } from '../src/pipeline/gguf-tokenizer-keys.js';
import type { Tokenizer } from '../src/text/tokenizer.js';

const POOL_VALUES = 1 << 24;

function blockPool(type: GgmlQuantType, seed: number): Uint8Array {
  const values = new Float32Array(POOL_VALUES);
  fillNormal(values, 'f32', seed, 0, 0, 0.02);
  return quantize(type, values);
}

/** Writes the model to `path`; returns the file's size in bytes. */
export function writeQ4kmCheckpoint(path: string, config: LlamaConfig, tokenizer: Tokenizer): number {
  const pools = { q4_k: blockPool('q4_k', 1), q6_k: blockPool('q6_k', 2) } as Record<
    GgmlQuantType,
    Uint8Array
  >;
  const random = seededRandom(11);
  const matrix = (rows: number, cols: number, type: GgmlQuantType): WeightTensor => {
    const t = ggmlQuantType(type);
    const bytes = ((rows * cols) / t.blockElements) * t.blockBytes;
    const pool = pools[type];
    const blocks = pool.byteLength / t.blockBytes;
    // A window of whole blocks; a tensor larger than the pool repeats it.
    const data = new Uint8Array(bytes);
    for (let at = 0; at < bytes;) {
      const start = Math.floor(random() * blocks) * t.blockBytes;
      const n = Math.min(bytes - at, pool.byteLength - start);
      data.set(pool.subarray(start, start + n), at);
      at += n;
    }
    return { dtype: type, shape: [rows, cols], data };
  };
  const ones = (n: number): WeightTensor => ({ dtype: 'f32', shape: [n], data: new Float32Array(n).fill(1) });
  const H = config.hiddenSize;
  const I = config.intermediateSize;
  const kv = config.numKvHeads * config.headDim;
  const tensors = new Map<string, WeightTensor>([
    ['model.embed_tokens.weight', matrix(config.vocabSize, H, 'q4_k')],
    ['model.norm.weight', ones(H)],
    ['lm_head.weight', matrix(config.vocabSize, H, 'q6_k')],
  ]);
  for (let l = 0; l < config.numLayers; l++) {
    const p = layerPrefix(l);
    tensors.set(`${p}input_layernorm.weight`, ones(H));
    tensors.set(`${p}self_attn.q_proj.weight`, matrix(H, H, 'q4_k'));
    tensors.set(`${p}self_attn.k_proj.weight`, matrix(kv, H, 'q4_k'));
    tensors.set(`${p}self_attn.v_proj.weight`, matrix(kv, H, 'q6_k'));
    tensors.set(`${p}self_attn.o_proj.weight`, matrix(H, H, 'q4_k'));
    tensors.set(`${p}post_attention_layernorm.weight`, ones(H));
    tensors.set(`${p}mlp.gate_proj.weight`, matrix(I, H, 'q4_k'));
    tensors.set(`${p}mlp.up_proj.weight`, matrix(I, H, 'q4_k'));
    tensors.set(`${p}mlp.down_proj.weight`, matrix(H, I, 'q6_k'));
  }
  const weights: ModelWeights = { config, tensors };
  writeGguf(path, weights, {
    name: '7b-shaped-Q4_K_M',
    metadata: typedTokenizerKeys(tokenizer.toGgufMetadata()),
  });
  return statSync(path).size;
}
