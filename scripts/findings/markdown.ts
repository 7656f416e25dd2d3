// Markdown pieces of the findings report: tables with aligned columns, numbers at a fixed number of
// digits, and verdict lines.
import type { Verdict } from './verdict-rules.js';

export type Cell = string | number | null;

/** A number with `digits` decimals; null, NaN and ±Infinity are shown as such, never as a figure. */
export function num(x: number | null | undefined, digits = 2): string {
  if (x === null || x === undefined) return '–';
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  return x.toFixed(digits);
}

function escapeCell(c: Cell): string {
  if (c === null) return '–';
  return String(c).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** A figure as a table shows it: a number with an optional sign, ×, %, or a dash for none. */
const NUMERIC = /^(?:[-−+]?×?[\d,]*\.?\d+(?:e[-+]?\d+)?(?: ?%)?|–|NaN|∞)$/;

/** A GitHub-flavoured markdown table (integers as such, other numbers at 2 decimals); columns holding only figures are right-aligned. */
export function markdownTable(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  for (const [i, r] of rows.entries())
    if (r.length !== header.length)
      throw new RangeError(`markdownTable: row ${i} has ${r.length} cells, the header ${header.length}`);
  const cells = rows.map((r) =>
    r.map((c) => (typeof c === 'number' ? (Number.isInteger(c) ? String(c) : num(c)) : escapeCell(c))),
  );
  const numeric = header.map((_, j) => cells.length > 0 && cells.every((r) => NUMERIC.test(r[j])));
  const widths = header.map((h, j) => Math.max(3, h.length, ...cells.map((r) => r[j].length)));
  const line = (xs: readonly string[]) =>
    `| ${xs.map((x, j) => (numeric[j] ? x.padStart(widths[j]) : x.padEnd(widths[j]))).join(' | ')} |`;
  const rule = `| ${widths.map((w, j) => (numeric[j] ? '-'.repeat(w - 1) + ':' : '-'.repeat(w))).join(' | ')} |`;
  return [line(header.map(escapeCell)), rule, ...cells.map(line)].join('\n') + '\n';
}

export function verdictList(verdicts: readonly Verdict[]): string {
  return verdicts.map((v) => `- **${v.holds ? 'yes' : 'no'}**: ${v.claim}. ${v.detail}.`).join('\n') + '\n';
}
