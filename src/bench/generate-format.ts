// How `bench generate` results read: a speed-up with its interval and its ideal beside it, a flag in
// place of a ratio that exceeds the ideal, and the whole result as a fixed-width table.
import type { GenerateBenchResult, GenerateSpeedup } from './generate.js';
import { formatRatio } from './paired-ratio.js';

/** `1.19× (1.15–1.23)`, or a flag when the measurement exceeds what the work per token allows. */
export function speedupText(s: GenerateSpeedup): string {
  const e = { median: s.speedup, low: s.low, high: s.high, rounds: s.rounds };
  // Three decimals in a flag: an interval starting just above the ideal must not read as equal to it.
  return s.beyond_ideal
    ? `not a result: ${formatRatio(e, 3)} exceeds the ideal ${s.ideal.toFixed(3)}×`
    : formatRatio(e);
}

/** The result as a fixed-width table with latency, throughput and speed-ups over the first model. */
export function formatGenerateBench(r: GenerateBenchResult): string {
  const first = r.models[0].name;
  const lines = [
    `${r.new_tokens} new tokens, ${r.threads} threads; speed-ups over ${first} at the same batch size: median of interleaved rounds (95% interval), until within ±${(r.precision * 100).toFixed(0)}% or ${r.budget_s} s`,
    'model'.padEnd(28) +
      'batch'.padStart(6) +
      'rounds'.padStart(7) +
      'latency s'.padStart(11) +
      'tok/s'.padStart(10) +
      'KV MiB'.padStart(9) +
      'peak RSS MiB'.padStart(14) +
      '  speed-up (95% interval) · ideal',
  ];
  for (const row of r.rows) {
    const s = r.speedups.find((x) => x.model === row.model && x.batch === row.batch);
    lines.push(
      row.model.padEnd(28) +
        String(row.batch).padStart(6) +
        String(row.runs).padStart(7) +
        row.latency_s.toFixed(3).padStart(11) +
        row.throughput_tokens_per_s.toFixed(1).padStart(10) +
        (row.kv_cache_bytes / 2 ** 20).toFixed(1).padStart(9) +
        (row.peak_rss_bytes / 2 ** 20).toFixed(0).padStart(14) +
        (s ? `  ${speedupText(s)} · ideal ${s.ideal.toFixed(2)}× (${s.ideal_basis})` : '  reference'),
    );
  }
  for (const m of r.models)
    lines.push(
      `${m.name}: ${(m.parameters / 1e6).toFixed(1)}M parameters, ${m.blocks} blocks, ${m.heads}/${m.kv_heads} heads, MLP ${m.intermediate_size}`,
    );
  return lines.join('\n') + '\n';
}
