// What a token sequence starts with. Two questions, kept apart:
// - what the tokenizer's own encoding puts first (its add_bos_token): ownPrefix, promptIds;
// - which token conditions a sequence that must start with something (perplexity segments,
//   self-samples, an empty prompt): BOS, else EOS, as lm-evaluation-harness's `prefix_token_id`
//   decides it (huggingface.py: bos_token_id if not None, else eos_token_id). Qwen has no BOS.

import type { Tokenizer } from './tokenizer.js';

export interface StartToken {
  id: number;
  piece: string;
  /** 'eos' when the vocabulary has no BOS token and EOS stands in for it. */
  kind: 'bos' | 'eos';
}

/** BOS, else EOS: lm-evaluation-harness's prefix_token_id. */
export function sequenceStartToken(
  tokenizer: Pick<Tokenizer, 'bosId' | 'eosId' | 'tokenToPiece'>,
): StartToken {
  const kind = tokenizer.bosId === null ? 'eos' : 'bos';
  const id = tokenizer.bosId ?? tokenizer.eosId;
  return { id, piece: tokenizer.tokenToPiece(id), kind };
}

/** e.g. `BOS <s> (id 1)`, or `EOS <|endoftext|> (id 151643), the vocabulary has no BOS`. */
export function describeStartToken(t: StartToken): string {
  const token = `${JSON.stringify(t.piece)} (id ${t.id})`;
  return t.kind === 'bos' ? `BOS ${token}` : `EOS ${token}, standing in for the BOS the vocabulary lacks`;
}

/** What the tokenizer's own encoding puts before text: [BOS] when it adds BOS, else []. */
export function ownPrefix(tokenizer: Pick<Tokenizer, 'bosId' | 'addBosToken'>): number[] {
  return tokenizer.addBosToken && tokenizer.bosId !== null ? [tokenizer.bosId] : [];
}

/** `ids` with the special tokens the tokenizer's own encoding adds (transformers' add_special_tokens=True). */
export function withOwnSpecialTokens(
  tokenizer: Pick<Tokenizer, 'bosId' | 'eosId' | 'addBosToken' | 'addEosToken'>,
  ids: number[],
): number[] {
  return [...ownPrefix(tokenizer), ...ids, ...(tokenizer.addEosToken ? [tokenizer.eosId] : [])];
}

/**
 * A generation prompt as the tokenizer's own tools encode it (llama.cpp and transformers add BOS
 * when add_bos_token says so, never EOS); an empty result becomes the start token alone, since
 * generation needs one token to condition on.
 */
export function promptIds(tokenizer: Tokenizer, text: string): number[] {
  const ids = [...ownPrefix(tokenizer), ...tokenizer.encode(text)];
  return ids.length > 0 ? ids : [sequenceStartToken(tokenizer).id];
}
