// The recorded agent logs in fixtures/captures, as the raw-log lines a live capture would have seen. Read here,
// independently of src/normalizers/recorded-log.ts, so tests that compare against orchd's own reader are not circular.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RawStream } from '../../src/normalizers/types.js';
import { ROOT } from './client.js';

export const CAPTURES = join(ROOT, 'fixtures', 'captures');

export interface CaptureLine {
  line: string;
  stream: RawStream;
}

/** A capture file as raw-log lines: `{dir: out|in|err, line}` records are stdout, stdin, stderr; any other line is stdout. */
export function captureLines(file: string): CaptureLine[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((text) => {
      const record = JSON.parse(text) as { dir?: string; line?: string };
      if (record.dir === undefined || record.line === undefined) return { line: text, stream: 'stdout' as const };
      return { line: record.line, stream: record.dir === 'in' ? ('stdin' as const) : record.dir === 'err' ? ('stderr' as const) : ('stdout' as const) };
    });
}
