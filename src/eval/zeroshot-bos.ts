// What zero-shot scoring puts before each context (`--bos auto|never|always`), as the versions of
// lm-evaluation-harness decide it:
// - never: the harness the paper pinned encodes with add_special_tokens=False for causal models, so
//   no BOS; a context with no tokens is scored after the end-of-text token (eot_token_id, its EOS).
// - auto (default): since the harness's PR 3347 (Oct 2025), add_bos_token=None delegates to the
//   tokenizer, whose own encoding adds BOS or not (tokenizer_config.json's add_bos_token, else its
//   post-processor); an empty context becomes [prefix_token_id]: BOS, else EOS.
// - always: shorten's behaviour before --bos: BOS before every context (EOS where there is no BOS).
import {
  describeStartToken,
  ownPrefix,
  sequenceStartToken,
  type StartToken,
} from '../text/sequence-start.js';
import type { Tokenizer } from '../text/tokenizer.js';

export const ZEROSHOT_BOS_MODES = ['auto', 'never', 'always'] as const;
export type ZeroShotBosMode = (typeof ZEROSHOT_BOS_MODES)[number];

export interface ContextPrefix {
  mode: ZeroShotBosMode;
  /** Put before every context's tokens: [] or [one token]. */
  tokens: number[];
  /** The token put before each context, when one is. */
  token: StartToken | null;
  /** The one token an empty context is scored after. */
  emptyContext: number;
  /** In words, for the results. */
  description: string;
}

export function parseZeroShotBos(value: string): ZeroShotBosMode {
  if (!(ZEROSHOT_BOS_MODES as readonly string[]).includes(value))
    throw new RangeError(`--bos must be one of ${ZEROSHOT_BOS_MODES.join(', ')} (got '${value}')`);
  return value as ZeroShotBosMode;
}

export function contextPrefix(tokenizer: Tokenizer, mode: ZeroShotBosMode): ContextPrefix {
  const start = sequenceStartToken(tokenizer);
  if (mode === 'never')
    return {
      mode,
      tokens: [],
      token: null,
      emptyContext: tokenizer.eosId,
      description:
        "never: no BOS before the contexts (the paper's pinned lm-evaluation-harness, add_special_tokens=False)",
    };
  if (mode === 'always')
    return {
      mode,
      tokens: [start.id],
      token: start,
      emptyContext: start.id,
      description: `always: ${describeStartToken(start)} before every context`,
    };
  const own = ownPrefix(tokenizer);
  return {
    mode,
    tokens: own,
    token: own.length > 0 ? start : null,
    emptyContext: start.id,
    description:
      own.length > 0
        ? `auto: ${describeStartToken(start)} before every context, as the tokenizer adds it (add_bos_token true; lm-evaluation-harness since PR 3347)`
        : `auto: no BOS before the contexts, as the tokenizer adds none (${tokenizer.bosId === null ? 'no BOS token' : 'add_bos_token false'}; lm-evaluation-harness since PR 3347)`,
  };
}
