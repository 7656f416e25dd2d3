// Parsing numeric flags with messages that name the flag; bad usage exits with code 2.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function numberOption(v: unknown, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`${flag} must be a number (got '${String(v)}')`);
  return n;
}

export function intOption(v: unknown, flag: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`${flag} must be an integer ≥ ${min} (got '${String(v)}')`);
  return n;
}

/** A fraction given as `5%` or `0.05`, in (0, 1). */
export function fractionOption(v: unknown, flag: string): number {
  const text = String(v).trim();
  const n = text.endsWith('%') ? Number(text.slice(0, -1)) / 100 : Number(text);
  if (!(n > 0 && n < 1)) throw new UsageError(`${flag} must be a fraction like 5% or 0.05 (got '${text}')`);
  return n;
}
