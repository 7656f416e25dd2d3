// Stage 6, report: report.html, summary.json and the CSV tables, from the other stages' results.
import { performance } from 'node:perf_hooks';
import { buildReport } from '../../report/build.js';
import type { ReportStageResult } from '../../report/results.js';
import type { RunContext } from './context.js';

export async function reportStage(ctx: RunContext): Promise<ReportStageResult> {
  const t0 = performance.now();
  const files = await buildReport(ctx.dir);
  return { files, seconds: (performance.now() - t0) / 1000 };
}
