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
  /** Lines that were kept as raw entries because the normalizer did not understand them (stderr diagnostics are not
   * counted: they are understood as the agent's diagnostics). */
  readonly unknownLines: number;
}

/** Token and cost figures that add up across turns (the per-turn fields of `usage` entries). */
export interface UsageFigures {
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadTokens: number | null;
  costUsd: number | null;
}

/** What the earlier turns of the same agent session used, for agents that report running totals over the agent's
 * session (Codex `exec --json` after a resume, Qwen Code): the first total a resumed process reports includes them. */
export interface UsageBaseline extends UsageFigures {
  /** The agent session these turns belong to; the baseline applies only to a log that continues this session. */
  agentSessionId: string;
}

/** What a normalizer may know beyond its own raw log. Both the live path (src/sessions/chain.ts) and the replay
 * (src/sessions/entries.ts) pass the same values, so live and replayed entries agree. */
export interface NormalizerOptions {
  usageBaseline?: UsageBaseline | null;
}

/** Creates a fresh normalizer for one execution's raw log. */
export type NormalizerFactory = (options?: NormalizerOptions) => Normalizer;
