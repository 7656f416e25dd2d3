// Calibration windows for a command: sampled from a text/JSONL file, or read back from a calib.json
// written by an earlier `shorten score` (so scores can be recomputed on exactly the same tokens).
import type { Tokenizer } from '../text/tokenizer.js';
import type { CalibrationSet, CalibrationSettings } from '../text/calibration.js';
import { readCalibrationDocuments, readCalibrationJson, sampleCalibration } from '../text/calibration.js';

export function loadCalibration(
  file: string,
  tokenizer: Tokenizer,
  settings: CalibrationSettings,
  field?: string,
): CalibrationSet {
  if (file.endsWith('calib.json')) {
    const set = readCalibrationJson(file);
    for (const [i, w] of set.windows.entries())
      if (w.tokens.some((t) => t >= tokenizer.vocabSize && t >= 0))
        throw new Error(`${file}: windows[${i}]: token ids beyond the vocabulary (${tokenizer.vocabSize})`);
    return set;
  }
  return sampleCalibration(readCalibrationDocuments(file, { field }), tokenizer, settings, file);
}
