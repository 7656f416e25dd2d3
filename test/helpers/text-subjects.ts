// The model-and-text pairs that tests scoring or pruning on real-looking text run on: the project's
// own pair always (a model it makes, and stories sampled from its default model), and stories260K
// with the TinyStories validation text when SHORTEN_FIXTURES has them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../src/pipeline/open-model.js';
import type { OpenedModel } from '../../src/pipeline/open-model.js';
import { missingFixture, STORIES260K_BIN, TINYSTORIES_VAL } from './fixtures.js';
import { writeProjectStories } from './project-data.js';

export interface TextSubject {
  name: string;
  skip: string | false;
  open(): OpenedModel;
  /** A calibration file: documents separated by blank lines. */
  textFile(): string;
}

/** `own` on `stories` project-sampled stories, then stories260K on the fixture text. */
export function textSubjects(own: { name: string; open: () => OpenedModel; stories: number }): TextSubject[] {
  let file: string | null = null;
  return [
    {
      name: own.name,
      skip: false,
      open: own.open,
      textFile: () => {
        if (file) return file;
        const dir = mkdtempSync(join(tmpdir(), 'shorten-stories-'));
        process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
        return (file = writeProjectStories(join(dir, 'stories.txt'), own.stories));
      },
    },
    {
      name: 'stories260K',
      skip: missingFixture(STORIES260K_BIN, TINYSTORIES_VAL),
      open: () => openModel(STORIES260K_BIN),
      textFile: () => TINYSTORIES_VAL,
    },
  ];
}
