// A model's vital statistics for `shorten info`: architecture, parameters, dtypes, blocks.
import type { LlamaConfig } from './config.js';
import { elementCount } from './weights.js';
import type { ModelWeights } from './weights.js';

export interface ModelInfo {
  source: string;
  format: string;
  config: LlamaConfig;
  parameters: number;
  bytes: number;
  dtypes: Record<string, number>;
  blocks: { index: number; parameters: number; attention: boolean; mlp: boolean }[];
}

export function describeModel(w: ModelWeights, format: string, source: string): ModelInfo {
  const dtypes: Record<string, number> = {};
  let parameters = 0;
  let bytes = 0;
  const blockParams = new Array<number>(w.config.numLayers).fill(0);
  for (const [name, t] of w.tensors) {
    const n = elementCount(t.shape);
    parameters += n;
    bytes += t.data.byteLength;
    dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + n;
    const m = /^model\.layers\.(\d+)\./.exec(name);
    if (m) blockParams[Number(m[1])] += n;
  }
  return {
    source,
    format,
    config: w.config,
    parameters,
    bytes,
    dtypes,
    blocks: blockParams.map((p, i) => ({
      index: i,
      parameters: p,
      attention: !w.config.prunedAttention.includes(i),
      mlp: !w.config.prunedMlp.includes(i),
    })),
  };
}

function ropeText(c: LlamaConfig): string {
  const s = c.ropeScaling;
  if (!s) return c.ropeFreqFactors ? ' (rope_freqs factors)' : '';
  const parts = [`factor ${s.factor}`];
  if (s.type === 'llama3' || s.type === 'yarn')
    parts.push(`original context ${s.originalMaxPositionEmbeddings}`);
  return ` (${s.type} scaling: ${parts.join(', ')})`;
}

export function formatModelInfo(info: ModelInfo): string {
  const c = info.config;
  const human = (n: number) =>
    n >= 1e9
      ? `${(n / 1e9).toFixed(2)}B`
      : n >= 1e6
        ? `${(n / 1e6).toFixed(2)}M`
        : `${(n / 1e3).toFixed(1)}K`;
  const lines = [
    `${info.source} (${info.format})`,
    `architecture  ${c.architecture}: width ${c.hiddenSize}, ${c.numLayers} blocks, ${c.numHeads} heads (${c.numKvHeads} KV, head dim ${c.headDim}), MLP ${c.intermediateSize}, vocab ${c.vocabSize}, context ${c.maxSeqLen}`,
    `rope theta ${c.ropeTheta}${ropeText(c)}, rms eps ${c.rmsNormEps}, ${c.tieWordEmbeddings ? 'tied' : 'separate'} LM head${c.attentionBias ? ', q/k/v bias' : ''}${c.qkNorm ? ', q/k norms' : ''}`,
    `parameters    ${human(info.parameters)} (${info.parameters}), ${(info.bytes / 2 ** 20).toFixed(1)} MiB`,
    `dtypes        ${Object.entries(info.dtypes)
      .map(([d, n]) => `${d} ${human(n)}`)
      .join(', ')}`,
    'blocks:',
    ...info.blocks.map(
      (b) =>
        `  ${String(b.index).padStart(3)}  ${human(b.parameters).padStart(8)}${b.attention ? '' : '  (attention pruned)'}${b.mlp ? '' : '  (MLP pruned)'}`,
    ),
  ];
  return lines.join('\n') + '\n';
}
