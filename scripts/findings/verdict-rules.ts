// The rules that turn measured numbers into the report's yes/no lines: each rule is stated in
// words next to its outcome and the numbers it was decided on, so a reader can check it.

export interface Verdict {
  /** The claim, phrased so that `holds` answers it. */
  claim: string;
  holds: boolean;
  /** The numbers behind the answer. */
  detail: string;
}

/** Counts of a paired comparison: where `a` is below, equal to, or above `b` (relative tolerance). */
export function compareSeries(
  a: readonly number[],
  b: readonly number[],
  relTol = 1e-9,
): { below: number; equal: number; above: number } {
  if (a.length !== b.length) throw new RangeError(`compareSeries: ${a.length} against ${b.length} values`);
  let below = 0;
  let equal = 0;
  let above = 0;
  a.forEach((x, i) => {
    const y = b[i];
    if (Math.abs(x - y) <= relTol * Math.max(Math.abs(x), Math.abs(y))) equal++;
    else if (x < y) below++;
    else above++;
  });
  return { below, equal, above };
}

/** At each position, whether `target` is the minimum (ties count) of all series. */
export function lowestAt(target: readonly number[], others: readonly (readonly number[])[]): boolean[] {
  return target.map((v, i) => others.every((o) => v <= o[i]));
}

/** True when every value is at least the previous one (a curve that never improves as blocks go). */
export function nonDecreasing(values: readonly number[]): boolean {
  return values.every((v, i) => i === 0 || v >= values[i - 1]);
}

/**
 * Standard error, in percentage points, of an average over tasks of accuracies: each task's
 * accuracy p over n questions has variance p(1−p)/n; the average of T tasks divides by T.
 */
export function averageAccuracyStdError(tasks: readonly { p: number; n: number }[]): number {
  if (tasks.length === 0) return NaN;
  const variance = tasks.reduce((s, t) => s + (t.p * (1 - t.p)) / t.n, 0) / tasks.length ** 2;
  return Math.sqrt(variance) * 100;
}

/** `a` is competitive with `b`: above it, or below by at most `k` standard errors of the difference. */
export function competitive(
  a: number,
  seA: number,
  b: number,
  seB: number,
  k = 2,
): { holds: boolean; margin: number } {
  const margin = k * Math.hypot(seA, seB);
  return { holds: a >= b - margin, margin };
}
