// A recorded raw log (a file, a pipe) read as the lines a live capture would have observed, for `orchd entries`.
// Two forms, told apart by the first non-blank line:
// - stdout: the agent's stdout as printed (`claude -p … > log.jsonl`, `orchd log --raw`);
// - transcript: one JSON record a line, `{"dir":"out"|"in"|"err","line":"<the exact line>"}` (extra fields such as
//   `ms` ignored), as fixtures/captures/harness.ts and the driver tests record both directions; a record without
//   `line` is the message itself spread beside `dir` (`{"dir":"out","type":"result",…}`).
// Each stream then goes through what the output capture does to a child's stream (src/executions/output.ts): lines
// over 10 MB cut with its marker (the guard reads them as shrunk JSON, src/normalizers/huge-lines.ts), split at `\n`,
// an unfinished last line kept; stdin lines are split like orchd's recorded writes. A transcript line that is not a
// record is read as a stdout line.
import { createLineCutter, MAX_LINE_BYTES } from '../executions/output.js';
import { createLineSplitter } from './replay.js';
import type { RawStream } from './types.js';

export type RecordedLogForm = 'stdout' | 'transcript';

export interface RecordedLogReader {
  /** More text of the log (decoded; a file's chunks may end anywhere). */
  push(text: string): void;
  /** The log ended: the last lines go out. */
  end(): void;
  /** Which form the log is in; null until its first non-blank line is complete. */
  readonly form: RecordedLogForm | null;
  /** Lines handed on so far, per stream. */
  readonly lines: Record<RawStream, number>;
}

/** How much of a first line is read before deciding that a log without a newline yet is plain stdout. */
const DETECT_CHARS = 1024 * 1024;

const DIRECTIONS: Record<string, RawStream> = { out: 'stdout', err: 'stderr', in: 'stdin' };

/** A transcript record's stream and line, or null when `text` is not one. */
export function transcriptRecord(text: string): { stream: RawStream; line: string } | null {
  if (!text.trimStart().startsWith('{')) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  const dir = record.dir;
  if (typeof dir !== 'string' || !Object.hasOwn(DIRECTIONS, dir)) return null;
  const stream = DIRECTIONS[dir]!;
  if (typeof record.line === 'string') return { stream, line: record.line };
  if (Object.hasOwn(record, 'line')) return null;
  const { dir: _dir, ...message } = record;
  return { stream, line: JSON.stringify(message) };
}

/** Read a recorded log, handing each line to `onLine` with its stream, in the log's order. */
export function createRecordedLogReader(onLine: (line: string, stream: RawStream) => void, options: { maxLineBytes?: number } = {}): RecordedLogReader {
  const counts: Record<RawStream, number> = { stdout: 0, stderr: 0, stdin: 0 };
  const lines = createLineSplitter((line, stream) => {
    counts[stream]++;
    onLine(line, stream);
  });
  const max = options.maxLineBytes ?? MAX_LINE_BYTES;
  const cutters = { stdout: createLineCutter(max), stderr: createLineCutter(max) };
  /** Text of one stream, as the output capture takes it: cut, then split. */
  const capture = (text: string, stream: RawStream) => lines.push(stream === 'stdin' ? text : cutters[stream](text).text, stream);

  let form: RecordedLogForm | null = null;
  let pending = ''; // before the form is known: everything read; in a transcript: the unfinished record
  const record = (text: string) => {
    if (!text.trim()) return;
    const found = transcriptRecord(text);
    if (found) capture(`${found.line}\n`, found.stream);
    else capture(`${text}\n`, 'stdout');
  };
  const transcript = (text: string) => {
    const records = (pending + text).split('\n');
    pending = records.pop()!;
    for (const text of records) record(text);
  };
  /** Decide the form once the first non-blank line is complete (or the log ended), then read what was held. */
  const detect = (ended: boolean) => {
    const start = pending.search(/\S/);
    if (start < 0 && !ended) return;
    const newline = start < 0 ? -1 : pending.indexOf('\n', start);
    if (newline < 0 && !ended && pending.length - start < DETECT_CHARS) return;
    const first = start < 0 ? '' : pending.slice(start, newline < 0 ? undefined : newline);
    form = transcriptRecord(first) ? 'transcript' : 'stdout';
    const held = pending;
    pending = '';
    if (form === 'transcript') transcript(held);
    else capture(held, 'stdout');
  };

  return {
    get form() {
      return form;
    },
    lines: counts,
    push(text) {
      if (!text) return;
      if (form === 'transcript') transcript(text);
      else if (form === 'stdout') capture(text, 'stdout');
      else {
        pending += text;
        detect(false);
      }
    },
    end() {
      if (form === null) detect(true);
      if (form === 'transcript' && pending) {
        const last = pending;
        pending = '';
        record(last);
      }
      lines.end();
    },
  };
}

/** Read a whole recorded log from its bytes (a file's or stdin's chunks), decoded as UTF-8 the way the output capture
 * decodes a stream: a character split between chunks is never broken, invalid bytes become U+FFFD. */
export async function readRecordedLog(input: AsyncIterable<Uint8Array | string>, onLine: (line: string, stream: RawStream) => void): Promise<RecordedLogReader> {
  const reader = createRecordedLogReader(onLine);
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of input) reader.push(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
  reader.push(decoder.decode());
  reader.end();
  return reader;
}
