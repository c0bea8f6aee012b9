// Sourcegraph Amp (`amp`), run headless: `amp --execute --stream-json`, one process per turn, the prompt on stdin,
// follow-ups with `amp threads continue <thread id> --execute --stream-json`. Amp prints "Claude Code compatible
// stream JSON", so its lines go through Claude's normalizer; this file adds only what differs (Amp's tool names and
// inputs, usage on assistant messages instead of the result, the `error` of an error result, the prompt echo, and
// the history a continued thread may print again). Amp's permission rules are decided by Amp itself (`allow`,
// `reject`, `ask`, `delegate` to a program); nothing reaches orchd, so approvals are off. Not verified against the
// real CLI (it needs Amp's service); see docs/agents-offline.md.
import type { ToolKind } from '../../protocol/entries.js';
import { OrchdError, shown } from '../errors.js';
import { assertNotOption } from './argv.js';
import { createClaudeNormalizer } from '../normalizers/claude-stream-json.js';
import { own, parseObject, wholeTextDiff, type ToolCallDraft } from '../normalizers/common.js';
import type { EntryDraft, Normalizer } from '../normalizers/types.js';
import { createOneShotExecutor } from './one-shot.js';
import type { BinarySpec } from './detect.js';
import type { AgentTurnRequest } from './types.js';

type Json = Record<string, any>;

const BINARY: BinarySpec = {
  name: 'amp',
  overrideVariable: 'ORCHD_AMP_PATH',
  installHint: 'npm install -g @sourcegraph/amp, then `amp login` or set AMP_API_KEY',
};

/** orchd permission modes for Amp: `default` leaves Amp's own `amp.permissions` rules in charge;
 * `bypassPermissions` passes `--dangerously-allow-all`. */
const PERMISSION_FLAGS: Record<string, string[]> = {
  default: [],
  bypassPermissions: ['--dangerously-allow-all'],
};

/** The argv after the program for one turn; the prompt goes to stdin. */
export function ampArguments(request: AgentTurnRequest): string[] {
  const mode = request.profile.permissionMode ?? 'default';
  const flags = PERMISSION_FLAGS[mode];
  if (!flags) {
    throw OrchdError.invalidParams('permissionMode', `Expected \`permissionMode\` for executor \`amp\` to be one of ${Object.keys(PERMISSION_FLAGS).map((m) => `\`${m}\``).join(', ')}, got ${shown(mode)}`);
  }
  if (request.profile.model) {
    throw OrchdError.invalidParams('model', `Expected \`model\` to be unset for executor \`amp\` (Amp chooses its models; pass \`--mode\` in \`extraArgs\` for an agent mode), got ${shown(request.profile.model)}`);
  }
  const head = request.resumeAgentSessionId ? ['threads', 'continue', assertNotOption('resumeAgentSessionId', request.resumeAgentSessionId)] : [];
  return [...head, '--execute', '--stream-json', ...flags, ...request.profile.extraArgs];
}

/** Amp's tools that Claude's normalizer does not know, by name. */
const AMP_TOOL_KINDS: Record<string, ToolKind> = {
  create_file: 'edit',
  edit_file: 'edit',
  undo_edit: 'edit',
  format_file: 'edit',
  Read: 'read',
  read_file: 'read',
  list_directory: 'search',
  finder: 'search',
  codebase_search_agent: 'search',
  read_web_page: 'fetch',
  read_mcp_resource: 'fetch',
  oracle: 'subagent',
  librarian: 'subagent',
  todo_read: 'todo',
  todo_write: 'todo',
  task_list: 'todo',
};

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** Re-derive the fields of a tool entry from Amp's tool name and input (`Bash {cmd}`, `create_file {path, content}`,
 * `edit_file {path, old_str, new_str}`), and read Amp's `{output, exitCode}` command results. */
export function ampToolEntry(entry: ToolCallDraft): ToolCallDraft {
  const input = (entry.input ?? {}) as Json;
  const kind = own(AMP_TOOL_KINDS, entry.name) ?? entry.kind;
  const path = str(input.path) ?? str(input.file_path) ?? entry.path;
  const command = kind === 'command' ? (str(input.cmd) ?? str(input.command) ?? entry.command) : null;
  let diff = entry.diff;
  if (path && entry.name === 'create_file' && typeof input.content === 'string') diff = wholeTextDiff(path, null, input.content);
  if (path && entry.name === 'edit_file' && typeof input.old_str === 'string' && typeof input.new_str === 'string') diff = wholeTextDiff(path, input.old_str, input.new_str);
  let { output, exitCode, status } = entry;
  if (kind === 'command' && output) {
    const result = parseObject(output.trim());
    if (result && (typeof result.output === 'string' || typeof result.exitCode === 'number')) {
      output = str(result.output) ?? output;
      exitCode = num(result.exitCode) ?? exitCode;
      if (status === 'succeeded' && exitCode !== null && exitCode !== 0) status = 'failed';
    }
  }
  const title = command ?? path ?? str(input.pattern) ?? str(input.filePattern) ?? str(input.query) ?? str(input.url) ?? str(input.description) ?? entry.title;
  return { ...entry, kind, path: kind === 'read' || kind === 'edit' ? path : entry.path, command, diff, output, exitCode, status, title };
}

/** Summed token usage of assistant messages, counted once per message id; messages without an id are numbered by
 * `anonymousId`, shared by the counters of one normalizer so that merging two counters never folds two messages. */
function usageCounter(anonymousId: () => string) {
  const byMessage = new Map<string, Json>();
  return {
    add(message: Json) {
      const usage = message.message?.usage;
      if (!usage || typeof usage !== 'object') return;
      byMessage.set(typeof message.message?.id === 'string' ? message.message.id : anonymousId(), usage);
    },
    merge(other: { entries(): IterableIterator<[string, Json]> }) {
      for (const [id, usage] of other.entries()) byMessage.set(id, usage);
    },
    entries: () => byMessage.entries(),
    get empty() {
      return byMessage.size === 0;
    },
    total(field: string): number | null {
      let sum: number | null = null;
      for (const usage of byMessage.values()) if (typeof usage[field] === 'number') sum = (sum ?? 0) + usage[field];
      return sum;
    },
  };
}

const normalized = (text: string) => text.replace(/\s+/g, ' ').trim();

function userText(message: Json): string | null {
  const content = message.message?.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return null;
  if (content.some((block: Json) => block?.type === 'tool_result')) return null;
  const texts = content.filter((block: Json) => block?.type === 'text' && typeof block.text === 'string').map((block: Json) => block.text as string);
  return texts.length ? texts.join('\n') : null;
}

/**
 * A fresh normalizer for one Amp execution: Claude's, wrapped. The prompt arrives on stdin (recorded in the raw log),
 * so the wrapper knows it; a continued thread may print its earlier messages first, so everything between a user
 * message that is not this prompt and the echo of this prompt is history and is held back. If the echo never comes
 * the held-back entries are released at the result, so nothing is lost.
 */
export function createAmpNormalizer(): Normalizer {
  const claude = createClaudeNormalizer();
  const promptLines: string[] = [];
  let phase: 'live' | 'history' = 'live';
  let held = new Map<string, EntryDraft>();
  let anonymous = 0;
  const anonymousId = () => `anonymous-${++anonymous}`;
  let liveUsage = usageCounter(anonymousId);
  let heldUsage = usageCounter(anonymousId);
  let agentSessionSeen = false;

  const adapt = (drafts: EntryDraft[]): EntryDraft[] =>
    drafts.filter((d) => d.type !== 'agentSession').map((d) => (d.type === 'toolCall' ? ampToolEntry(d) : d));

  const emit = (drafts: EntryDraft[]): EntryDraft[] => {
    if (phase === 'live') return drafts;
    for (const draft of drafts) {
      held.delete(draft.id);
      held.set(draft.id, draft);
    }
    return [];
  };

  const release = (): EntryDraft[] => {
    const out = [...held.values()];
    held = new Map();
    liveUsage.merge(heldUsage);
    heldUsage = usageCounter(anonymousId);
    phase = 'live';
    return out;
  };

  const result = (message: Json, line: string): EntryDraft[] => {
    const out = phase === 'history' ? release() : [];
    for (const draft of adapt(claude.push(line, 'stdout'))) {
      if (draft.type === 'usage' && !message.usage) {
        out.push({
          ...draft,
          inputTokens: liveUsage.total('input_tokens'),
          outputTokens: liveUsage.total('output_tokens'),
          cacheReadTokens: liveUsage.total('cache_read_input_tokens'),
        });
      } else if (draft.type === 'error' && typeof message.error === 'string') out.push({ ...draft, message: message.error });
      else out.push(draft);
    }
    return out;
  };

  return {
    get unknownLines() {
      return claude.unknownLines;
    },
    push(line, stream) {
      if (stream === 'stdin') {
        promptLines.push(line); // the prompt: the engine records it as the turn's user message
        return [];
      }
      if (stream === 'stderr') return adapt(claude.push(line, stream));
      const message = parseObject(line.trim());
      if (!message) return adapt(claude.push(line, stream));
      const out: EntryDraft[] = [];
      if (!agentSessionSeen && typeof message.session_id === 'string' && message.session_id) {
        agentSessionSeen = true;
        out.push({ id: 'agent-session', type: 'agentSession', agentSessionId: message.session_id });
      }
      if (message.type === 'user') {
        const text = userText(message);
        if (text !== null && typeof message.parent_tool_use_id === 'string' && message.parent_tool_use_id) return out; // a subagent's prompt
        if (text !== null) {
          const prompt = promptLines.join('\n');
          if (!promptLines.length || normalized(text) === normalized(prompt)) {
            // The echo of this turn's prompt: whatever was held back was the thread's history.
            held = new Map();
            heldUsage = usageCounter(anonymousId);
            phase = 'live';
          } else phase = 'history';
          return out;
        }
      }
      if (message.type === 'result') return [...out, ...result(message, line)];
      if (message.type === 'assistant') (phase === 'live' ? liveUsage : heldUsage).add(message);
      return [...out, ...emit(adapt(claude.push(line, stream)))];
    },
  };
}

export const ampExecutor = createOneShotExecutor({
  id: 'amp',
  displayName: 'Amp',
  capabilities: { resume: true, fork: false, reset: false, approvals: false, images: false, models: false, mcp: false, gracefulStop: false },
  protocol: 'amp --execute --stream-json (Claude-compatible stream JSON, one process per turn, prompt on stdin, threads continue)',
  permissionModes: Object.keys(PERMISSION_FLAGS),
  defaultPermissionMode: 'default',
  binary: BINARY,
  args: ampArguments,
  createNormalizer: createAmpNormalizer,
});
