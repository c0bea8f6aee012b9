// Normalizers against captures recorded from the real CLIs (fixtures/captures, see its README): nothing unknown,
// every tool call ends in a final status, the agent's session id and usage are extracted, and a replay of the same
// lines yields the same entries.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createClaudeNormalizer } from '../../src/normalizers/claude-stream-json.js';
import type { EntryDraft, Normalizer, RawStream } from '../../src/normalizers/types.js';
import { ROOT } from '../support/client.js';
import { captureLines } from '../support/captures.js';

const CAPTURES = join(ROOT, 'fixtures', 'captures');

/** Which normalizer reads which captures. */
const SUITES: { dir: string; match: RegExp; create: () => Normalizer }[] = [
  { dir: 'claude', match: /\.jsonl$/, create: createClaudeNormalizer },
  { dir: 'qwen', match: /^stream-json-.*\.jsonl$/, create: createClaudeNormalizer },
];

function replay(create: () => Normalizer, lines: { line: string; stream: RawStream }[]): { entries: EntryDraft[]; unknown: number } {
  const normalizer = create();
  const byId = new Map<string, EntryDraft>();
  for (const { line, stream } of lines) for (const entry of normalizer.push(line, stream)) byId.set(entry.id, entry);
  return { entries: [...byId.values()], unknown: normalizer.unknownLines };
}

for (const suite of SUITES) {
  const dir = join(CAPTURES, suite.dir);
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => suite.match.test(f)) : [];
  describe(`captures: ${suite.dir}`, () => {
    it('has captures to read', () => assert.ok(files.length > 0, `no captures in ${dir}`));
    for (const file of files) {
      it(file, () => {
        const lines = captureLines(join(dir, file));
        const { entries, unknown } = replay(suite.create, lines);
        assert.equal(unknown, 0, `unknown lines: ${entries.filter((e) => e.type === 'raw').map((e) => e.type === 'raw' && e.line.slice(0, 100)).join('\n')}`);
        for (const entry of entries) {
          if (entry.type !== 'toolCall') continue;
          assert.ok(['succeeded', 'failed', 'denied'].includes(entry.status), `tool call ${entry.toolCallId} (${entry.name}) ends ${entry.status}`);
        }
        assert.ok(entries.some((e) => e.type === 'agentSession'), 'the agent session id is extracted');
        assert.ok(entries.some((e) => e.type === 'usage'), 'usage is extracted');
        assert.deepEqual(replay(suite.create, lines).entries, entries, 'replay yields the same entries');
        if (/edit-allow|control-allow|edit-accept|print-edit|exec-edit|^stream-json-edit\.jsonl$/.test(file)) {
          const edit = entries.find((e) => e.type === 'toolCall' && e.kind === 'edit');
          assert.ok(edit && edit.type === 'toolCall' && edit.status === 'succeeded' && edit.path, 'the edit is a succeeded edit tool call with its path');
        }
        if (/deny/.test(file)) assert.ok(entries.some((e) => e.type === 'toolCall' && e.status === 'denied'), 'the denied call is marked denied');
      });
    }
  });
}
