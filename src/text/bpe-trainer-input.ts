// Reads the tokenizer trainer's text files: UTF-8, an optional cap on the bytes read in total
// (cut at a character boundary), each file cut into documents at separator lines.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { splitDocuments } from './bpe-trainer-words.js';

export interface TrainingText {
  documents: string[];
  bytesRead: number;
}

/** The length of `bytes[0..limit)` shortened, if needed, so it does not end inside a UTF-8 character. */
function utf8Boundary(bytes: Uint8Array, limit: number): number {
  let end = Math.min(limit, bytes.length);
  if (end === bytes.length) return end;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return end;
}

export function readTrainingText(
  files: string[],
  opts: { maxBytes?: number; separator: string },
): TrainingText {
  if (files.length === 0) throw new Error('--text: expected at least one text file, got none');
  const documents: string[] = [];
  let bytesRead = 0;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (const file of files) {
    if (!existsSync(file) || !statSync(file).isFile()) {
      throw new Error(`${file}: expected a readable text file, but there is no such file`);
    }
    if (opts.maxBytes !== undefined && bytesRead >= opts.maxBytes) break;
    const bytes = readFileSync(file);
    const end = opts.maxBytes === undefined ? bytes.length : utf8Boundary(bytes, opts.maxBytes - bytesRead);
    let text: string;
    try {
      text = decoder.decode(bytes.subarray(0, end));
    } catch {
      throw new Error(`${file}: expected UTF-8 text, found bytes that are not UTF-8`);
    }
    bytesRead += end;
    documents.push(...splitDocuments(text, opts.separator));
  }
  return { documents, bytesRead };
}
