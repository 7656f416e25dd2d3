// Alpaca rows: the template text, the prompt masked from the loss (or not), the cutoff, JSON and
// JSONL; plain text split into documents and packed into fixed-length rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alpacaPrompt, parseInstructionRows, tokenizeInstruction } from '../../src/text/instruction-data.js';
import { packDocuments, splitDocuments } from '../../src/text/packing.js';
import { loadTokenizerJson } from '../../src/text/tokenizer.js';
import { defaultValSize } from '../../src/heal/training-data.js';
import { DEFAULT_TOKENIZER } from '../helpers/project-models.js';

test("the prompt is alpaca-lora's templates/alpaca.json, with and without input", () => {
  assert.equal(
    alpacaPrompt({ instruction: 'Add 2 and 3.', input: '' }),
    'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\nAdd 2 and 3.\n\n### Response:\n',
  );
  assert.equal(
    alpacaPrompt({ instruction: 'Translate.', input: 'Hallo $& {input}' }),
    'Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.\n\n### Instruction:\nTranslate.\n\n### Input:\nHallo $& {input}\n\n### Response:\n',
  );
});

test('JSON and JSONL rows; a missing field names the file, row and field', () => {
  const json = parseInstructionRows(
    '[{"instruction":"a","input":"b","output":"c"},{"instruction":"d","output":"e"}]',
    'x.json',
  );
  assert.deepEqual(json[1], { instruction: 'd', input: '', output: 'e' });
  const jsonl = parseInstructionRows(
    '{"instruction":"a","input":"","output":"c"}\n\n{"instruction":"d","input":"f","output":"e"}\n',
    'x.jsonl',
  );
  assert.equal(jsonl.length, 2);
  assert.throws(
    () => parseInstructionRows('[{"instruction":"a"}]', 'x.json'),
    /x\.json: row 0: field 'output': expected a string/,
  );
});

test('only the response is scored unless training on inputs; BOS first, EOS last, cut at the cutoff', () => {
  const tok = loadTokenizerJson(DEFAULT_TOKENIZER);
  const row = { instruction: 'Tell a story.', input: '', output: 'Once upon a time there was a cat.' };
  const promptIds = tok.encode(alpacaPrompt(row));
  const ex = tokenizeInstruction(row, tok, { cutoff: 256, trainOnInputs: false });
  assert.equal(ex.ids[0], tok.bosId);
  assert.equal(ex.ids[ex.ids.length - 1], tok.eosId);
  const firstScored = ex.targets.findIndex((t) => t >= 0);
  assert.equal(firstScored, promptIds.length, 'the first scored position predicts the first response token');
  for (let t = firstScored; t + 1 < ex.ids.length; t++) assert.equal(ex.targets[t], ex.ids[t + 1]);
  assert.equal(ex.targets[ex.ids.length - 1], -1);
  const all = tokenizeInstruction(row, tok, { cutoff: 256, trainOnInputs: true });
  assert.equal(
    all.targets.findIndex((t) => t >= 0),
    0,
  );
  const cut = tokenizeInstruction(row, tok, { cutoff: 10, trainOnInputs: true });
  assert.equal(cut.ids.length, 10);
  assert.notEqual(cut.ids[9], tok.eosId, 'no EOS when the row was cut');
});

test('documents split at <|endoftext|> or blank lines, packed as BOS doc EOS into full rows', () => {
  assert.deepEqual(splitDocuments('a\nb\n<|endoftext|>\nc\n'), ['a\nb', 'c']);
  assert.deepEqual(splitDocuments('one\n\n two \n\n\nthree'), ['one', 'two', 'three']);
  const rows = packDocuments(
    [
      [5, 6],
      [7, 8, 9],
    ],
    3,
    [1],
    2,
  );
  assert.deepEqual(
    rows.map((r) => [...r.ids]),
    [
      [1, 5, 6],
      [2, 1, 7],
      [8, 9, 2],
    ],
  );
  assert.deepEqual([...rows[0].targets], [5, 6, -1]);
});

test('validation split default: 2000 rows, or 10% of a small set', () => {
  assert.equal(defaultValSize(1000), 100);
  assert.equal(defaultValSize(50000), 2000);
});
