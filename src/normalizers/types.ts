// A normalizer turns one agent's raw output lines into upserts of normalized entries. It is a pure, replayable
// function of the lines: feeding the same raw output again yields the same entries.
import type { NormalizedEntry } from '../../protocol/entries.js';

/** An entry without the execution it came from (the caller stamps that on). */
export type EntryDraft = NormalizedEntry extends infer E ? (E extends { executionId: string } ? Omit<E, 'executionId'> : never) : never;

export interface Normalizer {
  /** One line of output (without its newline); returns the entries it creates or updates. */
  push(line: string, stream: 'stdout' | 'stderr'): EntryDraft[];
  /** Lines that were kept as raw entries because the normalizer did not understand them. */
  readonly unknownLines: number;
}
