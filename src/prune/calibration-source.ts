// Calibration windows for a command: sampled from a text/JSONL file, or read back from a calib.json
// written by an earlier `shorten score` (so scores can be recomputed on exactly the same tokens).
import type { Tokenizer } from '../text/tokenizer.js';
import type { CalibrationSet, CalibrationSettings } from '../text/calibration.js';
import {
  CalibrationError,
  readCalibrationDocuments,
  readCalibrationJson,
  sampleCalibration,
} from '../text/calibration.js';

/** A calibration file too small for the settings: bad usage (exit 2), with the flags that fix it. */
export class CalibrationTooSmallError extends RangeError {
  constructor(message: string) {
    super(`${message}; give a longer --calib file or lower --samples / --seq-len`);
    this.name = 'CalibrationTooSmallError';
  }
}

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
  const documents = readCalibrationDocuments(file, { field });
  if (documents.length === 0)
    throw new CalibrationTooSmallError(
      `${file}: no documents (empty${field ? `, or no text under --field ${field}` : ''})`,
    );
  try {
    return sampleCalibration(documents, tokenizer, settings, file);
  } catch (e) {
    // Too few long-enough documents: the one calibration failure that the settings can fix.
    if (e instanceof CalibrationError && e.message.startsWith(`${file}: documents:`))
      throw new CalibrationTooSmallError(e.message);
    throw e;
  }
}
