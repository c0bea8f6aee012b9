// Replaying a raw log: its chunks split into lines per stream, each line pushed to the executor's normalizer, each
// entry kept in its latest state in order of first appearance. One loop for `session/entries` (src/sessions/entries.ts,
// the stored output of each execution) and `orchd entries` (a recorded log, src/cli/entries.ts); the live path
// (src/sessions/chain.ts) pushes the lines the output capture observes to the same guarded normalizer and stamps the
// same ids, so a log reads the same whichever way it arrives.
import type { NormalizedEntry } from '../../protocol/entries.js';
import type { EntryDraft, Normalizer, RawStream } from './types.js';

/** The wire entry for a normalizer's draft: ids are made unique across the session's executions. */
export function stampEntry(draft: EntryDraft, executionId: string): NormalizedEntry {
  return { ...draft, id: `${executionId}/${draft.id}`, executionId } as NormalizedEntry;
}

export interface LineSplitter {
  /** More text of one stream; every line it completes goes to `onLine`. */
  push(text: string, stream: RawStream): void;
  /** The log ended: what each stream holds after its last newline is a line of its own (stdout, stderr, stdin). */
  end(): void;
}

/** Split a raw log's chunks into lines per stream, the way the output capture observes a stream (src/executions/output.ts):
 * a line ends at `\n` (a `\r` before it stays), and an unfinished last line counts when the stream ends. */
export function createLineSplitter(onLine: (line: string, stream: RawStream) => void): LineSplitter {
  const partial: Record<RawStream, string> = { stdout: '', stderr: '', stdin: '' };
  return {
    push(text, stream) {
      const lines = (partial[stream] + text).split('\n');
      partial[stream] = lines.pop()!;
      for (const line of lines) onLine(line, stream);
    },
    end() {
      for (const stream of ['stdout', 'stderr', 'stdin'] as const) {
        const rest = partial[stream];
        partial[stream] = '';
        if (rest) onLine(rest, stream);
      }
    },
  };
}

export interface EntryReplay {
  /** One raw-log line: the entries it created or changed, stamped, in the order the normalizer gave them. */
  push(line: string, stream: RawStream): NormalizedEntry[];
  /** Every entry so far (and whatever the map held before), by id: the latest state, in order of first appearance. */
  readonly entries: Map<string, NormalizedEntry>;
  /** Lines the normalizer kept as `raw` entries because it did not understand them. */
  readonly unknownLines: number;
}

/**
 * Replay one execution's raw log through `normalizer` (a fresh one, from the executor registry so that it is guarded)
 * into `entries`, which session/entries shares across the session's executions.
 */
export function replayEntries(normalizer: Normalizer, executionId: string, entries = new Map<string, NormalizedEntry>()): EntryReplay {
  return {
    entries,
    get unknownLines() {
      return normalizer.unknownLines;
    },
    push(line, stream) {
      const changed = normalizer.push(line, stream).map((draft) => stampEntry(draft, executionId));
      for (const entry of changed) entries.set(entry.id, entry);
      return changed;
    },
  };
}
