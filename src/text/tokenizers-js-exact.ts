// Rewrites the parts of a tokenizer.json pre-tokenizer that @huggingface/tokenizers (tokenizers.js)
// runs differently from the Rust tokenizers library into equivalent parts it runs exactly:
// - ByteLevel with use_regex applies GPT-2's regex with JavaScript's \s (which takes U+FEFF and
//   misses U+0085); as a Split its \s becomes Unicode White_Space, as Oniguruma's is.
// - Digits uses JavaScript's \d (ASCII only); Rust's splits at char::is_numeric, i.e. \p{N}.
// - Oniguruma's (?i:'s|...) also matches the long s U+017F (it case-folds to s); tokenizers.js
//   folds ASCII letters only.
// The tokenizer.json kept and written back is the original; only tokenizers.js sees the rewrite.

import { GPT2_SPLIT } from './byte-level-pre.js';
import { isRecord } from './json-values.js';

const CONTRACTIONS_CASELESS = "(?i:'s|'t|'re|'ve|'m|'ll|'d)";
const CONTRACTIONS_FOLDED = "(?:'[sS\u017f]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";

function split(regex: string): Record<string, unknown> {
  return { type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false };
}

function rewriteStep(step: unknown): unknown[] {
  if (!isRecord(step)) return [step];
  if (step.type === 'Sequence' && Array.isArray(step.pretokenizers))
    return [{ ...step, pretokenizers: step.pretokenizers.flatMap(rewriteStep) }];
  if (step.type === 'ByteLevel' && step.use_regex !== false && step.add_prefix_space !== true)
    return [split(GPT2_SPLIT), { ...step, use_regex: false }];
  if (step.type === 'Digits') return [split(step.individual_digits === true ? '\\p{N}' : '\\p{N}+')];
  if (step.type === 'Split' && isRecord(step.pattern) && typeof step.pattern.Regex === 'string')
    return [
      {
        ...step,
        pattern: { Regex: step.pattern.Regex.replaceAll(CONTRACTIONS_CASELESS, CONTRACTIONS_FOLDED) },
      },
    ];
  return [step];
}

/** The pre-tokenizer to give tokenizers.js for `preTokenizer` (a tokenizer.json `pre_tokenizer`). */
export function exactPreTokenizer(preTokenizer: unknown): unknown {
  if (preTokenizer === null || preTokenizer === undefined) return null;
  const steps = rewriteStep(preTokenizer);
  return steps.length === 1 ? steps[0] : { type: 'Sequence', pretokenizers: steps };
}
