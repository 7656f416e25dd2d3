// The error every tokenizer loader throws for a file or object it cannot use.

/** The message names the source, the field and the expectation. */
export class TokenizerFormatError extends Error {
  constructor(
    readonly source: string,
    readonly field: string,
    readonly expectation: string,
  ) {
    super(`${source}: ${field}: ${expectation}`);
    this.name = 'TokenizerFormatError';
  }
}
