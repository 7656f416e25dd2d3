// The weights a configuration implies (names and shapes), so every loader can reject a checkpoint
// with a missing, extra or misshapen tensor before the model ever runs.
import type { LlamaConfig } from '../model/config.js';
import type { ModelWeights } from '../model/weights.js';
import { FormatError } from './errors.js';

export function expectedTensorShapes(c: LlamaConfig): Map<string, number[]> {
  const H = c.hiddenSize;
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const I = c.intermediateSize;
  const m = new Map<string, number[]>([
    ['model.embed_tokens.weight', [c.vocabSize, H]],
    ['model.norm.weight', [H]],
  ]);
  if (!c.tieWordEmbeddings) m.set('lm_head.weight', [c.vocabSize, H]);
  const prunedAttention = new Set(c.prunedAttention);
  const prunedMlp = new Set(c.prunedMlp);
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}.`;
    if (!prunedAttention.has(i)) {
      m.set(`${p}input_layernorm.weight`, [H]);
      m.set(`${p}self_attn.q_proj.weight`, [q, H]);
      m.set(`${p}self_attn.k_proj.weight`, [kv, H]);
      m.set(`${p}self_attn.v_proj.weight`, [kv, H]);
      m.set(`${p}self_attn.o_proj.weight`, [H, q]);
      if (c.attentionBias) {
        m.set(`${p}self_attn.q_proj.bias`, [q]);
        m.set(`${p}self_attn.k_proj.bias`, [kv]);
        m.set(`${p}self_attn.v_proj.bias`, [kv]);
      }
      if (c.qkNorm) {
        m.set(`${p}self_attn.q_norm.weight`, [c.headDim]);
        m.set(`${p}self_attn.k_norm.weight`, [c.headDim]);
      }
    }
    if (!prunedMlp.has(i)) {
      m.set(`${p}post_attention_layernorm.weight`, [H]);
      m.set(`${p}mlp.gate_proj.weight`, [I, H]);
      m.set(`${p}mlp.up_proj.weight`, [I, H]);
      m.set(`${p}mlp.down_proj.weight`, [H, I]);
    }
  }
  return m;
}

/** Throws a FormatError naming `file` and the first weight that is missing, extra or of the wrong shape. */
export function checkModelTensors(w: ModelWeights, file: string): void {
  const expected = expectedTensorShapes(w.config);
  for (const [name, shape] of expected) {
    const t = w.tensors.get(name);
    if (!t) throw new FormatError(file, name, `a tensor of shape [${shape}] (it is missing)`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
      throw new FormatError(file, name, `shape [${shape}] (got [${t.shape}])`);
  }
  for (const name of w.tensors.keys())
    if (!expected.has(name)) throw new FormatError(file, name, 'no such tensor for this configuration');
}
