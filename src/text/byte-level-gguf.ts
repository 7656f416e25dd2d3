// The `tokenizer.ggml.*` keys of GGUF's 'gpt2' tokenizer model (byte-level BPE) for a byte-level
// tokenizer.json, as llama.cpp's convert_hf_to_gguf.py writes them: tokens by id (ids no token
// has filled as unused [PAD<id>]), token types, merges, and the pre-tokenizer's llama.cpp name.

import { identifyPreName, SUPPORTED_PRE_NAMES } from './byte-level-pre.js';
import { addedTokensOf, isRecord, modelMerges } from './json-values.js';
import { SentencePieceTokenType as TokenType } from './sentencepiece-vocab.js';
import { TokenizerFormatError } from './tokenizer-errors.js';
import type { TokenizerSettings } from './tokenizer-special-tokens.js';

/** Added tokens convert_hf_to_gguf.py marks CONTROL although their tokenizer does not call them special. */
function looksSpecial(token: string): boolean {
  return (
    ['<pad>', '<mask>'].includes(token) ||
    (token.startsWith('<|') && token.endsWith('|>')) ||
    (token.startsWith('<\uff5c') && token.endsWith('\uff5c>')) ||
    (token.startsWith('<unused') && token.endsWith('>'))
  );
}

export function byteLevelGgufMetadata(
  json: Record<string, unknown>,
  vocab: ReadonlyMap<string, number>,
  vocabSize: number,
  settings: TokenizerSettings,
  source: string,
): Record<string, unknown> {
  const pre = identifyPreName(json);
  if (pre === null)
    throw new TokenizerFormatError(
      source,
      'pre_tokenizer',
      `expected the pre-tokenizer (and a normalizer that is none or NFC) of one of llama.cpp's ${SUPPORTED_PRE_NAMES.join(', ')}, to name it in tokenizer.ggml.pre`,
    );
  const tokens = Array.from({ length: vocabSize }, (_, id) => `[PAD${id}]`);
  const types: number[] = new Array<number>(vocabSize).fill(TokenType.unused);
  for (const [token, id] of vocab) {
    tokens[id] = token;
    types[id] = TokenType.normal;
  }
  for (const t of addedTokensOf(json))
    if (t.id < vocabSize)
      types[t.id] = t.special || looksSpecial(t.content) ? TokenType.control : TokenType.userDefined;
  const model = isRecord(json.model) ? json.model : {};
  // gguf-py writes a space inside a merge part as U+0120, the byte-level form of a space.
  const part = (s: string): string => s.replaceAll(' ', '\u0120');
  const metadata: Record<string, unknown> = {
    'tokenizer.ggml.model': 'gpt2',
    'tokenizer.ggml.pre': pre,
    'tokenizer.ggml.tokens': tokens,
    'tokenizer.ggml.token_type': types,
    'tokenizer.ggml.merges': modelMerges(model).map(([left, right]) => `${part(left)} ${part(right)}`),
    'tokenizer.ggml.eos_token_id': settings.eosId,
  };
  if (settings.bosId !== null) metadata['tokenizer.ggml.bos_token_id'] = settings.bosId;
  if (settings.padId !== null) metadata['tokenizer.ggml.padding_token_id'] = settings.padId;
  metadata['tokenizer.ggml.add_bos_token'] = settings.addBosToken;
  metadata['tokenizer.ggml.add_eos_token'] = settings.addEosToken;
  if (settings.chatTemplate !== null) metadata['tokenizer.chat_template'] = settings.chatTemplate;
  return metadata;
}
