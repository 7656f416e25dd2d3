// Calibration sampling: seeded and reproducible, documents without repeats, windows of seq-len
// tokens taken from documents long enough, JSONL with --field, and errors that name the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CalibrationError,
  readCalibrationDocuments,
  readCalibrationJson,
  sampleCalibration,
} from '../../src/text/calibration.js';

// A character tokenizer: one id per character (plus BOS 1, which it adds), so lengths are easy to reason about.
const chars = {
  encode: (t: string, o?: { bos?: boolean }) => [
    ...(o?.bos ? [1] : []),
    ...[...t].map((c) => c.charCodeAt(0)),
  ],
  bosId: 1 as number | null,
  eosId: 2,
  addBosToken: true,
  addEosToken: false,
  tokenToPiece: (id: number) => (id === 1 ? '<s>' : String.fromCharCode(id)),
};

test('windows are seeded, from distinct documents long enough, and inside them', (t) => {
  const docs = Array.from({ length: 40 }, (_, i) => 'x'.repeat(i) + String.fromCharCode(65 + (i % 26)));
  const a = sampleCalibration(docs, chars, { samples: 8, seqLen: 10, seed: 5 });
  const b = sampleCalibration(docs, chars, { samples: 8, seqLen: 10, seed: 5 });
  const c = sampleCalibration(docs, chars, { samples: 8, seqLen: 10, seed: 6 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.windows, c.windows);
  assert.equal(new Set(a.windows.map((w) => w.document)).size, 8);
  for (const w of a.windows) {
    const ids = chars.encode(docs[w.document], { bos: true });
    assert.ok(ids.length >= 10);
    assert.deepEqual(w.tokens, ids.slice(w.start, w.start + 10));
  }
  assert.throws(
    () => sampleCalibration(docs, chars, { samples: 8, seqLen: 39, seed: 1 }),
    (e: Error) =>
      e instanceof CalibrationError && /at least 8 documents of ≥ 39 tokens \(found 3/.test(e.message),
  );
  const dir = mkdtempSync(join(tmpdir(), 'shorten-calib-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const text = join(dir, 'a.txt');
  writeFileSync(text, 'one\ntwo\n\n  \nthree\r\n\r\nfour\n');
  assert.deepEqual(readCalibrationDocuments(text), ['one\ntwo', 'three', 'four']);
  // TinyStories copies end each story with an <|endoftext|> line, blank lines inside stories.
  writeFileSync(text, 'Once.\n\nThe end.\n<|endoftext|>\nTwo.\n<|endoftext|>\n');
  assert.deepEqual(readCalibrationDocuments(text), ['Once.\n\nThe end.', 'Two.']);
  const jsonl = join(dir, 'a.jsonl');
  writeFileSync(jsonl, '{"instruction":"hi","output":"a"}\n\n{"instruction":"yo"}\n');
  assert.deepEqual(readCalibrationDocuments(jsonl, { field: 'instruction' }), ['hi', 'yo']);
  assert.throws(
    () => readCalibrationDocuments(jsonl, { field: 'output' }),
    /a\.jsonl: line 3 field 'output': expected a string/,
  );
  writeFileSync(jsonl, 'not json\n');
  assert.throws(() => readCalibrationDocuments(jsonl), /line 1: expected one JSON object per line/);
  const saved = join(dir, 'calib.json');
  writeFileSync(saved, JSON.stringify(a));
  assert.deepEqual(readCalibrationJson(saved).windows, a.windows);
  writeFileSync(saved, JSON.stringify({ ...a, windows: [{ tokens: [1, 2] }, { tokens: [1] }] }));
  assert.throws(
    () => readCalibrationJson(saved),
    /windows\[1\]\.tokens: expected 2 non-negative integer ids/,
  );
});
