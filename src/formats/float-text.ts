// Values stored as f32 (GGUF's epsilon, theta) come back as the shortest decimal that rounds to
// the same f32, so 1e-5 read from a GGUF equals 1e-5 read from a JSON config.

export function shortestF32Decimal(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  const f = Math.fround(v);
  for (let digits = 1; digits <= 9; digits++) {
    const d = Number(f.toPrecision(digits));
    if (Math.fround(d) === f) return d;
  }
  return f;
}
