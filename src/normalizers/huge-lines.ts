// Lines too long to keep whole. The output capture (src/executions/output.ts) stores at most MAX_LINE_BYTES of a line
// and ends what it kept with `…[orchd: line cut, N bytes dropped]`; that stored text stays the raw log (the source of
// truth). A cut JSON line no longer parses, so before a normalizer reads such a line it gets a shrunk copy: the same
// JSON structure, every string longer than STRING_LIMIT cut to its start plus `…[orchd: cut N bytes]`, and what the
// capture cut off closed again (the open string ends, then the open arrays and objects; a key or number the cut split
// is dropped). Keys the agent wrote after the cut are lost, but the message keeps its type, ids and the start of its
// long text, so a 12 MB tool output is still that tool call's output (cut, and marked `truncated`).
// One pass over the characters, no JSON.parse of the long text: a 10 MB line takes a few tens of milliseconds.
import { MAX_LINE_BYTES } from '../executions/output.js';

/** How much of one JSON string (in characters of the JSON text) an over-long line keeps. */
export const STRING_LIMIT = 256 * 1024;

/** The marker output.ts appends where it cut a line (createLineCutter). */
const LINE_CUT = /…\[orchd: line cut, (\d+) bytes dropped\]$/;

/** The suffix of a string orchd cut. */
export function cutMarker(bytes: number): string {
  return `…[orchd: cut ${bytes} bytes]`;
}

/** Whether a line is over-long: the capture cut it, or it is longer than the capture keeps (a log read from a file). */
export function isHugeLine(line: string): boolean {
  if (line.length > MAX_LINE_BYTES) return true;
  if (line.length * 3 >= MAX_LINE_BYTES && Buffer.byteLength(line) > MAX_LINE_BYTES) return true;
  return line.length >= MAX_LINE_BYTES / 4 && LINE_CUT.test(line.slice(-80));
}

/**
 * The shrunk copy of an over-long line, and how many bytes were cut (including what the capture dropped); null when
 * the line is not over-long or holds no JSON object to keep (then it is read as it is).
 */
export function shrinkHugeLine(line: string, limit = STRING_LIMIT): { line: string; cutBytes: number } | null {
  if (!isHugeLine(line)) return null;
  const marker = LINE_CUT.exec(line.slice(-80));
  const dropped = marker ? Number(marker[1]) : 0;
  const text = marker ? line.slice(0, line.length - marker[0].length) : line;
  const start = text.indexOf('{');
  if (start < 0 || start > 4096) return null;
  const shrunk = shrinkJson(text, start, limit, dropped, marker !== null);
  return shrunk && { line: text.slice(0, start) + shrunk.json, cutBytes: shrunk.cut };
}

interface Container {
  kind: '{' | '[';
  expect: 'key' | 'colon' | 'value' | 'comma';
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** Copy the JSON value at `from`, cutting long strings; when the input was cut (`truncated`), close what is open.
 * Exported for its tests; use shrinkHugeLine. */
export function shrinkJson(text: string, from: number, limit: number, dropped: number, truncated: boolean): { json: string; cut: number } | null {
  const parts: string[] = [];
  const stack: Container[] = [];
  let safe = 0; // parts.length after the last complete value or opened container: closing from there is valid JSON
  let cut = 0;
  let droppedCounted = false;
  let done = false;
  let i = from;
  const top = () => stack[stack.length - 1];
  const valueDone = () => {
    const container = top();
    if (container) container.expect = 'comma';
    else done = true;
    safe = parts.length;
  };
  const expectsValue = () => {
    const container = top();
    return container ? container.expect === 'value' || (container.kind === '[' && container.expect === 'key') : parts.length === 0;
  };
  while (i < text.length && !done) {
    const code = text.charCodeAt(i);
    if (WHITESPACE.has(code)) {
      i++;
      continue;
    }
    const char = text[i]!;
    if (char === '{' || char === '[') {
      if (!expectsValue()) return null;
      // An array starts expecting its first value; `key` marks "nothing yet" so `]` may close it at once.
      stack.push({ kind: char, expect: 'key' });
      parts.push(char);
      safe = parts.length;
      i++;
    } else if (char === '}' || char === ']') {
      const container = stack.pop();
      if (!container || (char === '}') !== (container.kind === '{')) return null;
      parts.push(char);
      i++;
      valueDone();
    } else if (char === ',') {
      const container = top();
      if (!container || container.expect !== 'comma') return null;
      container.expect = container.kind === '{' ? 'key' : 'value';
      parts.push(char);
      i++;
    } else if (char === ':') {
      const container = top();
      if (!container || container.expect !== 'colon') return null;
      container.expect = 'value';
      parts.push(char);
      i++;
    } else if (char === '"') {
      const container = top();
      const isKey = container?.kind === '{' && container.expect === 'key';
      if (!isKey && !expectsValue()) return null;
      let end = i + 1;
      while (end < text.length) {
        const c = text.charCodeAt(end);
        if (c === 0x5c) end += 2;
        else if (c === 0x22) break;
        else end++;
      }
      const closed = end < text.length;
      if (!closed && (!truncated || isKey)) break; // an unfinished key: dropped with everything after the last safe point
      const contentEnd = Math.min(end, text.length);
      const length = contentEnd - (i + 1);
      if (length > limit || !closed) {
        const keep = safeCut(text, i + 1, Math.min(length, limit));
        const cutHere = Buffer.byteLength(text.slice(i + 1 + keep, contentEnd)) + (closed ? 0 : dropped);
        if (!closed) droppedCounted = true;
        cut += cutHere;
        parts.push(`"${text.slice(i + 1, i + 1 + keep)}${cutMarker(cutHere)}"`);
      } else parts.push(text.slice(i, end + 1));
      i = closed ? end + 1 : text.length;
      if (isKey) container!.expect = 'colon';
      else valueDone();
    } else {
      // true, false, null or a number: up to the next delimiter.
      if (!expectsValue()) return null;
      let end = i;
      while (end < text.length && !',:]} \t\r\n"'.includes(text[end]!)) end++;
      if (end === text.length && truncated) break; // it may have been cut: dropped
      const token = text.slice(i, end);
      if (!/^(true|false|null|-?\d+(\.\d+)?([eE][-+]?\d+)?)$/.test(token)) return null;
      parts.push(token);
      i = end;
      valueDone();
    }
  }
  if (!done) {
    if (!truncated) return null;
    parts.length = safe;
    if (parts.length === 0) return null;
    if (!droppedCounted) cut += dropped;
    for (let k = stack.length - 1; k >= 0; k--) parts.push(stack[k]!.kind === '{' ? '}' : ']');
  }
  return { json: parts.join(''), cut };
}

/** How many characters of the string content at `start` to keep (at most `want`) without splitting an escape sequence or
 * a surrogate pair. */
function safeCut(text: string, start: number, want: number): number {
  let keep = want;
  // Back off from inside an escape: find the last backslash run within the last 6 characters.
  for (let k = Math.max(0, keep - 6); k < keep; k++) {
    if (text.charCodeAt(start + k) !== 0x5c) continue;
    let run = 0;
    while (start + k - run - 1 >= start && text.charCodeAt(start + k - run - 1) === 0x5c) run++;
    if (run % 2 === 1) continue; // this backslash is itself escaped
    const escapeLength = text[start + k + 1] === 'u' ? 6 : 2;
    if (k + escapeLength > keep) {
      keep = k;
      break;
    }
    k += escapeLength - 1;
  }
  const last = text.charCodeAt(start + keep - 1);
  if (keep > 0 && last >= 0xd800 && last <= 0xdbff) keep--;
  return keep;
}
