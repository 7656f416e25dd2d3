// What `shorten score --out DIR` writes: scores.json (criterion, settings, per-unit scores, order),
// calib.json (the exact token windows, so anyone can recompute the scores) and the CSV shapes of the
// paper's code (block_score_all.csv, block_order.csv; all_ppl_unsorted.csv for ppl).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../formats/atomic-write.js';
import type { CalibrationSet } from '../text/calibration.js';
import type { UnitScores } from './units.js';

export interface ScoreSettings {
  criterion: string;
  unit: string;
  iterative: boolean;
  calib: string | null;
  /** What each calibration document's tokens start with (BOS, or none for a vocabulary without). */
  documentStart?: string;
  field?: string;
  samples?: number;
  seqLen?: number;
  seed?: number;
  batchSize?: number;
  run?: number;
  allTokens?: boolean;
}

/** The JSON document of a scoring run (also what --json prints). */
export function scoresDocument(
  model: string,
  settings: ScoreSettings,
  s: UnitScores,
): Record<string, unknown> {
  const label = (i: number): string =>
    s.criterion === 'angular'
      ? `blocks ${i}-${i + (s.run ?? 1) - 1}`
      : s.unit === 'block'
        ? `block ${i}`
        : `${s.unit} ${i}`;
  return {
    model,
    criterion: s.criterion,
    settings,
    unit: s.criterion === 'angular' ? 'run' : s.unit,
    ...(s.run !== undefined ? { run: s.run } : {}),
    ...(s.baselinePpl !== undefined ? { baseline_ppl: s.baselinePpl } : {}),
    ...(s.loss !== undefined ? { calibration_loss: s.loss } : {}),
    scores: s.indices.map((index, k) => ({ index, label: label(index), score: s.scores[k] })),
    order: s.order,
    ...(s.steps ? { steps: s.steps } : {}),
  };
}

function text(s: string): Uint8Array[] {
  return [new TextEncoder().encode(s)];
}

export function writeScoreFiles(
  dir: string,
  doc: Record<string, unknown>,
  s: UnitScores,
  calib: CalibrationSet | null,
): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const put = (name: string, body: string): void => {
    writeFileAtomic(join(dir, name), text(body));
    written.push(name);
  };
  put('scores.json', JSON.stringify(doc, null, 2) + '\n');
  if (calib) put('calib.json', JSON.stringify(calib) + '\n');
  const rows = s.indices.map((i, k) => `${i},${s.scores[k]}`);
  put('block_score_all.csv', `block,${s.criterion}\n${rows.join('\n')}\n`);
  const scoreOf = new Map(s.indices.map((i, k) => [i, s.scores[k]]));
  put(
    'block_order.csv',
    `rank,block,${s.criterion}\n${s.order.map((i, r) => `${r},${i},${scoreOf.get(i)}`).join('\n')}\n`,
  );
  if (s.criterion === 'ppl' && !s.steps) put('all_ppl_unsorted.csv', `block,ppl\n${rows.join('\n')}\n`);
  return written;
}
