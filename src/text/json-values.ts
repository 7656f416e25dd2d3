// Small checks on parsed JSON values (tokenizer.json, tokenizer_config.json), shared by the
// tokenizer loaders and writers.

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A special token as tokenizer_config.json / special_tokens_map.json write it: a string or an AddedToken object. */
export function tokenContent(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (isRecord(value) && typeof value.content === 'string') return value.content;
  return null;
}

/** BPE merges of a tokenizer.json model, in either of the two forms tokenizer.json uses. */
export function modelMerges(model: Record<string, unknown>): [string, string][] {
  const merges: [string, string][] = [];
  for (const merge of Array.isArray(model.merges) ? model.merges : []) {
    if (typeof merge === 'string') {
      const [left, right] = merge.split(' ', 2);
      merges.push([left, right ?? '']);
    } else if (Array.isArray(merge) && typeof merge[0] === 'string' && typeof merge[1] === 'string') {
      merges.push([merge[0], merge[1]]);
    }
  }
  return merges;
}

/** The added_tokens of a tokenizer.json, as {id, content, special} (entries of another shape skipped). */
export function addedTokensOf(
  json: Record<string, unknown>,
): { id: number; content: string; special: boolean }[] {
  const added = Array.isArray(json.added_tokens) ? json.added_tokens : [];
  return added
    .filter(isRecord)
    .filter((t) => typeof t.content === 'string' && Number.isInteger(t.id))
    .map((t) => ({ id: Number(t.id), content: String(t.content), special: t.special === true }));
}
