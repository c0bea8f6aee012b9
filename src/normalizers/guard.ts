// The boundary every raw-log line crosses on its way into a normalizer (the executor registry wraps every executor's
// normalizer with it, so the live path in src/sessions/chain.ts, the replay in src/sessions/entries.ts and any other
// reader get the same guard):
// - an over-long line (cut by the output capture) is read as a shrunk copy that keeps its JSON structure
//   (huge-lines.ts), and the entries it yields are marked `truncated`;
// - a line that makes the normalizer throw becomes a `raw` entry (counted as unknown) and the normalizer carries on
//   with the state it had, so one bad line costs that line, never the rest of the conversation.
// The normalizers are total themselves (test/unit/normalizers-totality.test.ts); this is the second line of defence.
import { shrinkHugeLine } from './huge-lines.js';
import type { EntryDraft, Normalizer } from './types.js';

/** `normalizer`, guarded: over-long lines shrunk and marked, a throw turned into a raw entry. */
export function guardNormalizer(normalizer: Normalizer): Normalizer {
  let thrown = 0;
  const truncated = new Map<string, number>(); // entry id → bytes cut from the lines it came from
  return {
    get unknownLines() {
      return normalizer.unknownLines + thrown;
    },
    push(line, stream) {
      const huge = shrinkHugeLine(line);
      let drafts: EntryDraft[];
      try {
        drafts = normalizer.push(huge ? huge.line : line, stream);
      } catch {
        thrown++;
        return [{ id: `unparsed-${thrown}`, type: 'raw', stream, line: huge ? huge.line : line }];
      }
      if (huge) for (const id of new Set(drafts.map((draft) => draft.id))) truncated.set(id, (truncated.get(id) ?? 0) + huge.cutBytes);
      if (truncated.size === 0) return drafts;
      return drafts.map((draft) => {
        const bytes = truncated.get(draft.id);
        return bytes === undefined ? draft : { ...draft, truncated: bytes };
      });
    },
  };
}
