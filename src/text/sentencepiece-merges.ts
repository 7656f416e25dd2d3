// BPE merges derived from SentencePiece piece scores, in the order Hugging Face's converters
// (transformers `generate_merges`, used by LlamaConverter) produce them, so that a BPE model that
// applies merges by rank reproduces SentencePiece's "merge the highest-scoring pair" encoding.

/**
 * Every pair (left, right) of pieces whose concatenation is a piece gives a merge. Merges are
 * ordered by the merged piece's score (higher first), then by longer left part, then by longer
 * right part; remaining ties keep the order of the merged piece's id, and within one merged piece
 * the order of (left id, right id). `excluded` pieces (special tokens) take part in no merge.
 */
export function mergesFromScores(
  pieces: readonly string[],
  scores: readonly number[],
  excluded: ReadonlySet<string> = new Set(),
): [string, string][] {
  const idOf = new Map<string, number>();
  pieces.forEach((piece, id) => idOf.set(piece, id));

  interface Candidate {
    left: string;
    right: string;
    leftLength: number;
    rightLength: number;
    score: number;
    order: number;
  }
  const candidates: Candidate[] = [];
  for (let id = 0; id < pieces.length; id++) {
    const merged = pieces[id];
    if (excluded.has(merged)) continue;
    // Python slices strings by code point, not by UTF-16 unit.
    const codePoints = Array.from(merged);
    const local: { left: string; right: string; leftLength: number; leftId: number; rightId: number }[] = [];
    for (let split = 1; split < codePoints.length; split++) {
      const left = codePoints.slice(0, split).join('');
      const right = codePoints.slice(split).join('');
      if (excluded.has(left) || excluded.has(right)) continue;
      const leftId = idOf.get(left);
      const rightId = idOf.get(right);
      if (leftId === undefined || rightId === undefined) continue;
      local.push({ left, right, leftLength: split, leftId, rightId });
    }
    local.sort((a, b) => a.leftId - b.leftId || a.rightId - b.rightId);
    for (const m of local) {
      candidates.push({
        left: m.left,
        right: m.right,
        leftLength: m.leftLength,
        rightLength: codePoints.length - m.leftLength,
        score: scores[id],
        order: candidates.length,
      });
    }
  }
  candidates.sort(
    (a, b) =>
      b.score - a.score || b.leftLength - a.leftLength || b.rightLength - a.rightLength || a.order - b.order,
  );
  return candidates.map((c) => [c.left, c.right]);
}
