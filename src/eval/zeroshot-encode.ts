// How a (context, continuation) pair becomes tokens, as lm-evaluation-harness's `_encode_pair`
// does it: trailing whitespace of the context moves to the continuation, the whole string is
// encoded once and the continuation is what lies beyond the context's own tokens (with a
// SentencePiece tokenizer the continuation's leading space is thereby encoded in place).
import type { Tokenizer } from '../text/tokenizer.js';
import type { ContextPrefix } from './zeroshot-bos.js';

export interface EncodedPair {
  /** The prefix (BOS or nothing) then the context's tokens, left-truncated when the pair exceeds the model's context. */
  context: number[];
  continuation: number[];
}

export function encodePair(
  tokenizer: Tokenizer,
  context: string,
  continuation: string,
  maxSeqLen: number,
  prefix: ContextPrefix,
): EncodedPair {
  const stripped = context.replace(/\s+$/u, '');
  const moved = context.slice(stripped.length);
  const whole = tokenizer.encode(stripped + moved + continuation);
  const contextIds = tokenizer.encode(stripped);
  const cont = whole.slice(contextIds.length);
  if (cont.length === 0)
    throw new RangeError(
      `continuation ${JSON.stringify(continuation)} encodes to no tokens after its context`,
    );
  if (cont.length >= maxSeqLen) {
    // Longer than the model's context on its own (a long PIQA solution under a 512-token model):
    // the harness's left truncation of (context + continuation) keeps the continuation's tail, so
    // only its last maxSeqLen - 1 tokens are scored, after the one token that precedes them.
    const keep = maxSeqLen - 1;
    return { context: [cont[cont.length - keep - 1]], continuation: cont.slice(cont.length - keep) };
  }
  // An empty context is scored after one token, as the harness does (see ContextPrefix.emptyContext).
  let ctx = contextIds.length === 0 ? [prefix.emptyContext] : [...prefix.tokens, ...contextIds];
  // The harness feeds (context + continuation)[-(maxLen + 1):][:-1]: the context loses its head.
  const over = ctx.length + cont.length - 1 - maxSeqLen;
  if (over > 0) ctx = ctx.slice(over);
  return { context: ctx, continuation: cont };
}
