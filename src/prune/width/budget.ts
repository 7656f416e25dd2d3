// How much width to remove so a width-pruned model has the parameter count of the depth-pruned
// one at the same --remove: the parameters of the removed blocks are taken evenly from every
// block, the same share from attention and from the MLP (whole KV groups for attention, rounded
// to the nearest group; MLP channels then make up the rest, so the total lands within 1.5·hidden
// parameters per block of the target).
import type { LlamaConfig } from '../../model/config.js';

export interface WidthPlan {
  /** KV groups (each: numHeads/numKvHeads query heads, one k and one v head) kept per block. */
  kvGroupsKept: number;
  /** MLP channels kept per block. */
  channelsKept: number;
  /** Parameters the depth-pruned model at the same --remove has, which this plan aims at. */
  targetParameters: number;
}

/** Parameters of one KV group: its q heads' rows, its k and v rows, its heads' o_proj columns. */
export function kvGroupParameters(c: LlamaConfig): number {
  const group = c.numHeads / c.numKvHeads;
  return c.hiddenSize * c.headDim * (2 * group + 2);
}

/** Parameters of one MLP channel: a gate row, an up row and a down_proj column. */
export function channelParameters(c: LlamaConfig): number {
  return 3 * c.hiddenSize;
}

/** Parameters of one full block (norms included). */
export function blockParameters(c: LlamaConfig): number {
  return kvGroupParameters(c) * c.numKvHeads + channelParameters(c) * c.intermediateSize + 2 * c.hiddenSize;
}

/**
 * The plan that removes `blocks` blocks' worth of parameters across all blocks. `totalParameters`
 * is the original model's count (the depth-pruned target is it minus the removed blocks).
 */
export function planWidth(c: LlamaConfig, blocks: number, totalParameters: number): WidthPlan {
  if (c.prunedAttention.length > 0 || c.prunedMlp.length > 0)
    throw new RangeError('width pruning needs every block whole (this model has pruned sublayers)');
  if (!(Number.isInteger(blocks) && blocks >= 0 && blocks < c.numLayers))
    throw new RangeError(`width pruning: ${blocks} blocks' worth is not in [0, ${c.numLayers})`);
  const perBlock = (blockParameters(c) * blocks) / c.numLayers;
  const attn = kvGroupParameters(c) * c.numKvHeads;
  const mlp = channelParameters(c) * c.intermediateSize;
  const share = perBlock / (attn + mlp);
  const groupsRemoved = Math.min(c.numKvHeads - 1, Math.round(share * c.numKvHeads));
  const channelsRemoved = Math.round(
    (perBlock - groupsRemoved * kvGroupParameters(c)) / channelParameters(c),
  );
  if (channelsRemoved < 0 || channelsRemoved >= c.intermediateSize)
    throw new RangeError(
      `width pruning: cannot remove ${blocks} blocks' worth from the MLP of ${c.intermediateSize} channels`,
    );
  return {
    kvGroupsKept: c.numKvHeads - groupsRemoved,
    channelsKept: c.intermediateSize - channelsRemoved,
    targetParameters: totalParameters - blockParameters(c) * blocks,
  };
}
