// Cursor's `cursor-agent -p --output-format stream-json` → normalized entries. Cursor is closed source; the shapes
// come from its output-format page (system/init, user, assistant, tool_call started|completed, result) and from
// integrators' parsers and captures (thinking, `*ToolCall` payloads with success|failure|error|rejected results,
// result usage); fixtures/captures/cursor/README.md names each source.
//
// Assistant text: without `--stream-partial-output` each line is one whole message between tool calls; with it,
// lines carrying `timestamp_ms` and no `model_call_id` are deltas, a `model_call_id` line repeats the segment it
// closes, and a final line without `timestamp_ms` repeats the whole response. Consecutive assistant lines are
// coalesced into one entry, and in partial mode the repeats replace or are dropped instead of doubling the text.
// Failures are written to stderr (documented); those lines become error entries.
import type { ToolKind } from '../../protocol/entries.js';
import { agentSessionOnce, idCounter, isObject, num, own, parseObject, rawKeeper, show, str, systemInitInfo, toolCall, wholeTextDiff, type ToolCallDraft } from './common.js';
import type { EntryDraft, Normalizer } from './types.js';

type Json = Record<string, any>;

/** Tool keys (without the `ToolCall` suffix, lower-cased) → entry kind. */
const TOOL_KINDS: Record<string, ToolKind> = {
  shell: 'command',
  terminal: 'command',
  read: 'read',
  readlints: 'read',
  write: 'edit',
  edit: 'edit',
  multiedit: 'edit',
  delete: 'edit',
  applypatch: 'edit',
  editnotebook: 'edit',
  ls: 'search',
  list: 'search',
  glob: 'search',
  grep: 'search',
  search: 'search',
  semsearch: 'search',
  codebasesearch: 'search',
  updatetodos: 'todo',
  todowrite: 'todo',
  webfetch: 'fetch',
  websearch: 'fetch',
  fetch: 'fetch',
  task: 'subagent',
};

/** Strip terminal colour and cursor codes from a plain-text line. */
function stripAnsi(text: string): string {
  return text.replace(/\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07]*(?:\x07|\x1b\\))/g, '');
}

function messageText(message: Json): string {
  const content = message.message?.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((block: unknown) => (isObject(block) && typeof block.text === 'string' ? block.text : '')).join('');
}

/** The tool inside a `tool_call` payload: `{"<name>ToolCall": {args, result?}}` or `{function: {name, arguments}}`. */
export function cursorTool(payload: unknown): { name: string; kind: ToolKind; args: Json; result: Json | null } | null {
  if (!isObject(payload)) return null;
  if (isObject(payload.function)) {
    const fn = payload.function;
    let args: Json = {};
    if (isObject(fn.arguments)) args = fn.arguments;
    else if (typeof fn.arguments === 'string') args = parseObject(fn.arguments) ?? { arguments: fn.arguments };
    const name = str(fn.name) ?? 'function';
    return { name, kind: own(TOOL_KINDS, name.toLowerCase().replace(/[_-]/g, '')) ?? 'other', args, result: isObject(fn.result) ? fn.result : null };
  }
  const key = Object.keys(payload).find((k) => k.endsWith('ToolCall') && isObject(payload[k]));
  if (!key) return null;
  const body = payload[key] as Json;
  const name = key.slice(0, -'ToolCall'.length);
  const args = isObject(body.args) ? body.args : {};
  return { name, kind: own(TOOL_KINDS, name.toLowerCase()) ?? 'other', args, result: isObject(body.result) ? body.result : null };
}

/** The entry fields a tool's arguments give: path, command, diff, title. */
function argumentFields(name: string, kind: ToolKind, args: Json): Pick<ToolCallDraft, 'path' | 'command' | 'diff' | 'title'> {
  const path = kind === 'read' || kind === 'edit' ? (str(args.path) ?? str(args.filePath) ?? str(args.file_path) ?? str(args.targetFile)) : null;
  const command = kind === 'command' ? (str(args.command) ?? str(args.cmd)) : null;
  let diff: string | null = null;
  if (path && kind === 'edit') {
    const written = str(args.fileText) ?? str(args.contents) ?? str(args.content) ?? str(args.file_text);
    const replace = isObject(args.strReplace) ? args.strReplace : null;
    if (name.toLowerCase() === 'write' && written !== null) diff = wholeTextDiff(path, null, written);
    else if (replace && typeof replace.oldText === 'string' && typeof replace.newText === 'string') diff = wholeTextDiff(path, replace.oldText, replace.newText);
    else if (isObject(args.multiStrReplace) && Array.isArray(args.multiStrReplace.edits)) {
      diff = (args.multiStrReplace.edits as Json[])
        .filter((e) => typeof e.oldText === 'string' && typeof e.newText === 'string')
        .map((e) => wholeTextDiff(path, e.oldText, e.newText))
        .join('') || null;
    } else if (isObject(args.applyPatch) && typeof args.applyPatch.patchContent === 'string') diff = args.applyPatch.patchContent;
  }
  const pattern = str(args.pattern) ?? str(args.globPattern) ?? str(args.query);
  const title = command ?? path ?? pattern ?? str(args.targetDirectory) ?? str(args.url) ?? str(args.path) ?? str(args.toolName) ?? str(args.name) ?? null;
  return { path, command, diff, title };
}

/** What a completed call's result says: status, output text, exit code, and a diff the result may carry. */
function resultFields(kind: ToolKind, path: string | null, result: Json | null): Pick<ToolCallDraft, 'status' | 'output' | 'exitCode'> & { diff: string | null } {
  if (!result) return { status: 'succeeded', output: null, exitCode: null, diff: null };
  const [outcome, body] = Object.entries(result).find(([, v]) => isObject(v)) ?? ['success', result];
  const payload = body as Json;
  let status: ToolCallDraft['status'];
  if (outcome === 'success') status = 'succeeded';
  else if (/reject|denied|permission/i.test(outcome)) status = 'denied';
  else status = 'failed';
  let output: string | null = null;
  let exitCode: number | null = null;
  let diff: string | null = null;
  if (kind === 'command') {
    exitCode = num(payload.exitCode) ?? num(payload.exit_code);
    const out = str(payload.stdout) ?? '';
    const err = str(payload.stderr) ?? '';
    output = str(payload.interleavedOutput) || (out && err ? `${out}${out.endsWith('\n') ? '' : '\n'}${err}` : out || err) || null;
    if (status === 'succeeded' && exitCode !== null && exitCode !== 0) status = 'failed';
  } else if (kind === 'read') {
    output = str(payload.content);
  } else if (kind === 'edit' && path) {
    const before = str(payload.beforeFullFileContent);
    const after = str(payload.afterFullFileContent);
    if (after !== null) diff = wholeTextDiff(path, before, after);
    else diff = str(payload.diffString);
  }
  output ??= str(payload.errorMessage) ?? str(payload.error) ?? str(payload.message) ?? str(payload.reason) ?? null;
  if (output === null || output === '') output = status === 'succeeded' ? JSON.stringify(payload) : (output || outcome);
  return { status, output, exitCode, diff };
}

/** A fresh normalizer for one cursor-agent execution's raw log. */
export function createCursorNormalizer(): Normalizer {
  const raw = rawKeeper();
  const tools = new Map<string, ToolCallDraft>();
  const nextId = idCounter();
  // Assistant text of the current segment (between tool calls, thinking and user lines), and all segments' texts.
  let segment: { id: string; text: string } | null = null;
  const segments: { id: string; text: string }[] = [];
  let partialMode = false;
  let thinking: { id: string; text: string } | null = null;
  let stderrError: { id: string; message: string } | null = null;

  const closeSegment = () => {
    segment = null;
  };

  const sessionFrom = agentSessionOnce();

  const appendText = (text: string): EntryDraft[] => {
    if (!segment) {
      segment = { id: nextId('assistant'), text: '' };
      segments.push(segment);
    }
    segment.text += text;
    return [{ id: segment.id, type: 'assistantMessage', text: segment.text }];
  };

  /** Whether `text` is the earlier segments' texts in order (a cumulative repeat); returns what it adds. */
  const afterRepeats = (text: string): string | null => {
    let cursor = 0;
    const gaps: string[] = [];
    for (const s of segments) {
      const at = text.indexOf(s.text, cursor);
      if (at < 0) return null;
      gaps.push(text.slice(cursor, at));
      cursor = at + s.text.length;
    }
    gaps.push(text.slice(cursor));
    return gaps.join('').trim();
  };

  const assistant = (message: Json): EntryDraft[] => {
    thinking = null;
    const text = messageText(message);
    if (!text) return [];
    const hasTimestamp = message.timestamp_ms !== undefined;
    const hasModelCall = message.model_call_id !== undefined;
    if (hasTimestamp && !hasModelCall) partialMode = true;
    if (partialMode && hasModelCall) {
      // The whole segment again: the authoritative text replaces the concatenated deltas.
      if (!segment) return appendText(text);
      const current: { id: string; text: string } = segment;
      if (current.text === text) return [];
      current.text = text;
      return [{ id: current.id, type: 'assistantMessage', text }];
    }
    if (partialMode && !hasTimestamp && segments.length > 0) {
      // The whole response again at the end: drop it, keeping only text it adds (if any).
      const added = afterRepeats(text);
      if (added === '') return [];
      closeSegment();
      return appendText(added ?? text);
    }
    return appendText(text);
  };

  const thinkingLine = (message: Json): EntryDraft[] => {
    closeSegment();
    if (message.subtype === 'completed') {
      thinking = null;
      return [];
    }
    const text = str(message.text) ?? '';
    if (!text) return [];
    thinking ??= { id: nextId('thinking'), text: '' };
    thinking.text += text;
    return [{ id: thinking.id, type: 'thinking', text: thinking.text }];
  };

  const toolLine = (message: Json, line: string): EntryDraft[] => {
    closeSegment();
    thinking = null;
    const tool = cursorTool(message.tool_call);
    const callId = str(message.call_id) ?? str(message.tool_call?.toolCallId) ?? str(tool?.args.toolCallId);
    if (!tool || !callId) return raw.keep(line, 'stdout');
    const known = tools.get(callId);
    const args = Object.keys(tool.args).length ? tool.args : ((known?.input as Json | null) ?? {});
    const fields = argumentFields(tool.name, tool.kind, args);
    const base = toolCall({ toolCallId: callId, name: tool.name, kind: tool.kind, status: 'running', input: args, ...fields });
    if (message.subtype === 'started' || (message.subtype !== 'completed' && !tool.result)) {
      const entry = known ? { ...known, ...base, status: known.status } : base;
      tools.set(callId, entry);
      return [entry];
    }
    const outcome = resultFields(tool.kind, fields.path ?? known?.path ?? null, tool.result);
    const entry: ToolCallDraft = {
      ...(known ?? base),
      ...base,
      path: fields.path ?? known?.path ?? null,
      command: fields.command ?? known?.command ?? null,
      title: fields.title ?? known?.title ?? null,
      diff: outcome.diff ?? fields.diff ?? known?.diff ?? null,
      status: outcome.status,
      output: outcome.output,
      exitCode: outcome.exitCode,
    };
    tools.set(callId, entry);
    return [entry];
  };

  const result = (message: Json): EntryDraft[] => {
    closeSegment();
    thinking = null;
    const usage = isObject(message.usage) ? message.usage : {};
    const out: EntryDraft[] = [
      {
        id: nextId('usage'),
        type: 'usage',
        inputTokens: num(usage.inputTokens) ?? num(usage.input_tokens),
        outputTokens: num(usage.outputTokens) ?? num(usage.output_tokens),
        cacheReadTokens: num(usage.cacheReadTokens) ?? num(usage.cache_read_input_tokens) ?? num(usage.cacheReadInputTokens),
        costUsd: num(message.total_cost_usd),
        durationMs: num(message.duration_ms),
      },
    ];
    if (message.is_error === true || (typeof message.subtype === 'string' && message.subtype.startsWith('error'))) {
      out.push({ id: nextId('error'), type: 'error', message: str(message.error) ?? str(message.result) ?? str(message.message) ?? show(message.subtype ?? 'cursor-agent reported an error') });
    }
    return out;
  };

  /** Failure text (stderr, or plain text on stdout such as a sign-in prompt): consecutive lines form one error. */
  const errorText = (line: string): EntryDraft[] => {
    const text = stripAnsi(line).trim();
    if (!text) return [];
    if (stderrError) stderrError.message += `\n${text}`;
    else stderrError = { id: nextId('stderr'), message: text };
    return [{ id: stderrError.id, type: 'error', message: stderrError.message }];
  };

  return {
    get unknownLines() {
      return raw.count;
    },
    push(line, stream) {
      if (stream === 'stdin') return []; // the prompt, which the engine records as the turn's user message
      if (stream === 'stderr') return errorText(line);
      if (!line.trim()) return [];
      const message = parseObject(line.trim());
      if (!message) {
        closeSegment();
        return errorText(line);
      }
      stderrError = null;
      const out = sessionFrom(message);
      switch (message.type) {
        case 'system':
          if (message.subtype !== 'init') return [...out, ...raw.keep(line, stream)];
          return [systemInitInfo(message), ...out];
        case 'user':
          // The prompt echoed back; the engine already has it.
          closeSegment();
          return out;
        case 'assistant':
          return [...out, ...assistant(message)];
        case 'thinking':
          return [...out, ...thinkingLine(message)];
        case 'tool_call':
          return [...out, ...toolLine(message, line)];
        case 'result':
          return [...out, ...result(message)];
        case 'error': {
          closeSegment();
          const detail = message.error;
          const text = str(message.message) ?? str(detail) ?? (isObject(detail) ? str(detail.message) : null) ?? 'cursor-agent reported an error';
          return [...out, { id: nextId('error'), type: 'error', message: text }];
        }
        default:
          return [...out, ...raw.keep(line, stream)];
      }
    },
  };
}
