// One error type for bytes and files that do not hold what a format promises, so callers and
// tests can tell a malformed checkpoint from a bug; configuration fields use model's ConfigError.
export { ConfigError } from '../model/config.js';

/** A checkpoint file whose bytes or structure break the format: names the file, the field and what was expected. */
export class FormatError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly expected: string,
  ) {
    super(`${file}: field '${field}': expected ${expected}`);
    this.name = 'FormatError';
  }
}
