// A normalizer turns one agent execution's raw log lines into upserts of normalized entries. It is a pure, replayable
// function of the lines: feeding the same raw log again yields the same entries. `stdin` lines are what orchd wrote
// to the agent (prompts, approval answers), so decisions are part of the replayable record.
import type { NormalizedEntry } from '../../protocol/entries.js';

/** An entry without the execution it came from (the caller stamps that on). */
export type EntryDraft = NormalizedEntry extends infer E ? (E extends { executionId: string } ? Omit<E, 'executionId'> : never) : never;

export type RawStream = 'stdout' | 'stderr' | 'stdin';

export interface Normalizer {
  /** One line of the raw log (without its newline); returns the entries it creates or updates. */
  push(line: string, stream: RawStream): EntryDraft[];
  /** Lines that were kept as raw entries because the normalizer did not understand them. */
  readonly unknownLines: number;
}
