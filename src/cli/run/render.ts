// The live view of `orchd run`: fed with protocol events, it writes readable text through `write`. Entries are
// upserted by id, so it remembers what it printed per id and prints only what changed: the new end of a growing
// message, a tool call's status when it moves. On a terminal a progress line sits at the bottom and is redrawn with
// \r; otherwise every write is an append-only line with no ANSI codes.
import type { Event, EventData } from '../../../protocol/events.js';
import type { NormalizedEntry, ToolCallEntry, ToolStatus } from '../../../protocol/entries.js';
import type { Execution } from '../../../protocol/execution.js';
import { createStyle, formatElapsed, oneLine, type Style } from './style.js';

export interface RendererOptions {
  /** Where the text goes (stdout in the CLI, an array in tests). */
  write(text: string): void;
  /** A terminal: draw the progress line and redraw it with \r. Off: append-only lines. */
  tty: boolean;
  /** ANSI colours (only ever used when `tty`). */
  color: boolean;
  /** The executor id (or profile name), for the progress line. */
  agent: string;
  /** Terminal width, when known. */
  columns?: () => number | undefined;
  now?: () => number;
  /** Show setup and cleanup scripts' output, dimmed and indented (default true). */
  scriptOutput?: boolean;
  /** On a terminal, keep a progress line at the bottom (default true; `orchd log` has no run to show progress of). */
  statusLine?: boolean;
  /** Show the person's prompts (`› …`): `orchd log` replays a conversation; `orchd run` just showed the prompt typed (default false). */
  userMessages?: boolean;
}

const OUTPUT_PREVIEW_LINES = 4;

/** Renders one run. Not thread-safe, not reusable: one instance per run. */
export class RunRenderer {
  /** The execution whose failure line was just printed (its notification would repeat it). */
  private lastFailure: string | null = null;
  private readonly style: Style;
  private readonly now: () => number;
  private readonly startedAt: number;
  private phase = 'starting';
  private agent: string;
  /** Text printed so far for streamed entries (assistant text, thinking), by entry id. */
  private readonly texts = new Map<string, string>();
  /** The last status printed for each tool call entry, by entry id. */
  private readonly toolStatuses = new Map<string, ToolStatus>();
  /** A fingerprint of other entries already printed (errors, usage, system info), by entry id. */
  private readonly printed = new Map<string, string>();
  /** Executions seen starting: what to call them. */
  private readonly executions = new Map<string, { script: boolean; label: string }>();
  /** Incomplete last line of each script's output. */
  private readonly partialOutput = new Map<string, string>();
  /** The streamed entry whose text ends the current (unfinished) line. */
  private openId: string | null = null;
  private atLineStart = true;
  private statusShown = false;
  private held: string[] | null = null;
  private closed = false;

  constructor(private readonly options: RendererOptions) {
    this.style = createStyle(options.tty && options.color);
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.agent = options.agent;
  }

  /** Feed one protocol event. */
  event(event: Event): void {
    switch (event.kind) {
      case 'session/entryUpserted':
        this.entry((event.data as EventData<'session/entryUpserted'>).entry);
        return;
      case 'execution/started':
        this.executionStarted((event.data as EventData<'execution/started'>).execution);
        return;
      case 'execution/output': {
        const data = event.data as EventData<'execution/output'>;
        if (data.stream !== 'stdin') this.scriptOutput(data.executionId, data.text);
        return;
      }
      case 'execution/exited':
        this.executionExited((event.data as EventData<'execution/exited'>).execution);
        return;
      case 'notification': {
        const { level, title, body } = event.data as EventData<'notification'>;
        // orchd's "Agent failed" notification repeats the agent's exit line just printed (a setup script's says more:
        // that the agent was not started, so it stays).
        const repeatsExit = level === 'error' && this.lastFailure !== null && title === 'Agent failed';
        this.lastFailure = null;
        if (repeatsExit) return;
        const text = body ? `${title} — ${body}` : title;
        if (level === 'error') this.line(this.style.red(`✗ ${text}`));
        else if (level === 'warning') this.line(this.style.yellow(`! ${text}`));
        else this.line(`${this.style.cyan('●')} ${text}`);
        return;
      }
      case 'workspace/committed': {
        const { commits, message } = event.data as EventData<'workspace/committed'>;
        const subject = (message.split('\n')[0] ?? '').slice(0, 72);
        for (const commit of commits) if (commit.oid) this.line(this.style.dim(`· committed ${commit.oid.slice(0, 7)} ${subject}`));
        return;
      }
      case 'approval/resolved': {
        // Decisions nobody was asked about (a rule, a grant for the session, a timeout) are worth a word.
        const { approval } = event.data as EventData<'approval/resolved'>;
        if (!approval.decidedBy || approval.decidedBy.startsWith('client:')) return;
        const what = approval.title ?? approval.tool;
        const reason = approval.reason ? `: ${approval.reason}` : '';
        this.line(this.style.dim(`· ${what} ${approval.status} (${approval.decidedBy}${reason})`));
        return;
      }
      default:
        return;
    }
  }

  /** Render one normalized entry (an upsert: the same id may come again, changed). */
  entry(entry: NormalizedEntry): void {
    switch (entry.type) {
      case 'assistantMessage':
        this.stream(entry.id, '', '', entry.text, (t) => t);
        return;
      case 'thinking':
        this.stream(entry.id, this.style.dim('✻ '), '  ', entry.text, this.style.dim);
        return;
      case 'toolCall':
        this.toolCall(entry);
        return;
      case 'error':
        this.once(entry.id, entry.message, () => this.line(this.style.red(`✗ error: ${entry.message}`)));
        return;
      case 'usage': {
        const text = describeUsage(entry);
        if (text) this.once(entry.id, text, () => this.line(this.style.dim(`· ${text}`)));
        return;
      }
      case 'systemInfo': {
        const parts = [entry.model && `model ${entry.model}`, entry.agentVersion && `agent ${entry.agentVersion}`].filter(Boolean);
        if (parts.length) this.once(entry.id, parts.join(' · '), () => this.line(this.style.dim(`· ${parts.join(' · ')}`)));
        return;
      }
      case 'raw':
        if (entry.stream === 'stderr' && entry.line.trim()) this.once(entry.id, entry.line, () => this.line(this.style.dim(`  stderr: ${oneLine(entry.line, this.width(10))}`)));
        return;
      case 'userMessage':
        if (this.options.userMessages) this.once(entry.id, entry.text, () => this.line(this.style.bold(`› ${indentLines(entry.text.trimEnd(), '  ')}`)));
        return;
      default:
        // agentSession says nothing new.
        return;
    }
  }

  /** A line of the CLI's own (e.g. "stopping…", an approval decision). */
  note(text: string, tone: 'plain' | 'dim' | 'red' | 'green' | 'yellow' = 'plain'): void {
    this.line(tone === 'plain' ? text : this.style[tone](text));
  }

  /** The executor the progress line names (known late when a profile picks it). */
  setAgent(agent: string): void {
    this.agent = agent;
  }

  /** What the progress line says orchd is doing: `creating workspace`, `running`, `waiting for approval` … */
  setPhase(phase: string): void {
    if (phase === this.phase) return;
    this.phase = phase;
    this.tick();
  }

  /** Redraw the progress line (call every second or so on a terminal). */
  tick(): void {
    if (!this.options.tty || this.closed || this.held) return;
    if (this.statusShown) this.hideStatus();
    this.showStatus();
  }

  /** Stop writing (buffer) while a question is asked at the terminal; the line in progress is ended first. */
  hold(): void {
    if (this.held || this.closed) return;
    this.hideStatus();
    this.endLine();
    this.held = [];
  }

  /** Write what was buffered while held and carry on. */
  release(): void {
    if (!this.held) return;
    const text = this.held.join('');
    this.held = null;
    if (text) this.options.write(text);
    this.showStatus();
  }

  /** End the view: finish the line in progress, remove the progress line, flush what was held. */
  close(): void {
    if (this.closed) return;
    this.release();
    this.flushPartialOutput();
    this.hideStatus();
    this.closed = true;
    this.endLine();
  }

  /** Milliseconds since the run started. */
  elapsedMs(): number {
    return this.now() - this.startedAt;
  }

  // ---- entries --------------------------------------------------------------------------------------------------

  /** Print a growing text: only its new end when it extends what was printed, else the whole text on a new line. */
  private stream(id: string, prefix: string, indent: string, text: string, paint: (text: string) => string): void {
    const before = this.texts.get(id);
    if (before === text) return;
    this.texts.set(id, text);
    const extends_ = before !== undefined && text.startsWith(before);
    if (extends_ && this.openId === id) {
      this.raw(paint(indentLines(text.slice(before.length), indent)));
      return;
    }
    const body = extends_ ? text.slice(before.length) : text;
    if (!body) return;
    this.endLine();
    this.raw(prefix + paint(indentLines(body, indent)));
    this.openId = id;
  }

  private toolCall(entry: ToolCallEntry): void {
    const before = this.toolStatuses.get(entry.id);
    if (before === undefined) {
      const title = oneLine(entry.title ?? entry.command ?? entry.path ?? '', this.width(entry.name.length + 4));
      this.line(`${this.style.cyan('⏺')} ${this.style.bold(entry.name)}${title ? `  ${title}` : ''}`);
    }
    if (before !== entry.status) this.toolStatus(entry);
    this.toolStatuses.set(entry.id, entry.status);
  }

  private toolStatus(entry: ToolCallEntry): void {
    const s = this.style;
    switch (entry.status) {
      case 'succeeded': {
        const counts = entry.diff ? diffCounts(entry.diff) : null;
        this.line(`  ${s.green('✓')} ${entry.name} succeeded${counts ? ` (+${counts.additions} −${counts.deletions})` : ''}`);
        if (entry.kind === 'command') this.outputPreview(entry.output);
        return;
      }
      case 'failed':
        this.line(`  ${s.red('✗')} ${entry.name} failed${entry.exitCode !== null ? ` (exit code ${entry.exitCode})` : ''}`);
        this.outputPreview(entry.output);
        return;
      case 'denied':
        this.line(`  ${s.yellow('⊘')} ${entry.name} denied`);
        this.outputPreview(entry.output);
        return;
      case 'awaitingApproval':
        this.line(`  ${s.yellow('?')} ${entry.name} awaiting approval`);
        return;
      default:
        // pending and running: the call line already says it started.
        return;
    }
  }

  private outputPreview(output: string | null): void {
    if (!output) return;
    const lines = output.split('\n').filter((l) => l.trim());
    for (const text of lines.slice(0, OUTPUT_PREVIEW_LINES)) this.line(this.style.dim(`    ${oneLine(text, this.width(4))}`));
    if (lines.length > OUTPUT_PREVIEW_LINES) this.line(this.style.dim(`    … ${lines.length - OUTPUT_PREVIEW_LINES} more lines`));
  }

  /** Run `print` the first time an entry shows this content. */
  private once(id: string, fingerprint: string, print: () => void): void {
    if (this.printed.get(id) === fingerprint) return;
    this.printed.set(id, fingerprint);
    print();
  }

  // ---- executions -----------------------------------------------------------------------------------------------

  /** A process started: a script's name, or the agent (`▸ claude-code (follow-up)`). */
  executionStarted(execution: Execution): void {
    const action = execution.action;
    if (action.type === 'script') {
      const label = `${scriptKindLabel(action.kind)}: ${action.name}`;
      this.executions.set(execution.id, { script: true, label });
      this.setPhase(label);
      this.line(this.style.cyan(`▸ ${label}`));
      return;
    }
    this.executions.set(execution.id, { script: false, label: action.executor });
    this.setPhase('running');
    this.line(this.style.dim(`▸ ${action.executor}${action.followUp ? ' (follow-up)' : ''}`));
  }

  private scriptOutput(executionId: string, text: string): void {
    if (this.options.scriptOutput === false || !this.executions.get(executionId)?.script) return;
    const lines = ((this.partialOutput.get(executionId) ?? '') + text).split('\n');
    this.partialOutput.set(executionId, lines.pop()!);
    for (const line of lines) this.scriptLine(line);
  }

  private scriptLine(line: string): void {
    this.line(this.style.dim(`  │ ${oneLine(line.replace(/\r$/, ''), this.width(4)) || ''}`));
  }

  private flushPartialOutput(executionId?: string): void {
    for (const [id, rest] of this.partialOutput) {
      if (executionId !== undefined && id !== executionId) continue;
      if (rest) this.scriptLine(rest);
      this.partialOutput.delete(id);
    }
  }

  /** A process ended: how, and after how long. */
  executionExited(execution: Execution): void {
    const known = this.executions.get(execution.id);
    if (!known) return;
    this.flushPartialOutput(execution.id);
    const s = this.style;
    const took = execution.endedAt ? ` in ${formatElapsed(Date.parse(execution.endedAt) - Date.parse(execution.startedAt))}` : '';
    const why = describeEnd(execution);
    if (execution.status === 'completed') {
      this.line(`${known.script ? '  ' : ''}${s.green('✓')} ${known.label} finished${took}`);
    } else if (execution.status === 'killed') {
      this.line(s.yellow(`${known.script ? '  ' : ''}⊘ ${known.label} stopped${execution.reason ? `: ${execution.reason}` : ''}`));
    } else {
      this.line(s.red(`${known.script ? '  ' : ''}✗ ${known.label} failed${why ? `: ${why}` : ''}`));
      this.lastFailure = execution.id;
    }
    if (!known.script) this.setPhase('finishing');
  }

  // ---- output ---------------------------------------------------------------------------------------------------

  /** Finish the unfinished line, if any, without drawing the progress line. */
  private endLine(): void {
    this.openId = null;
    if (this.atLineStart) return;
    this.atLineStart = true;
    if (this.held) this.held.push('\n');
    else this.options.write('\n');
  }

  /** A whole line, started on a fresh line. */
  private line(text: string): void {
    if (this.closed) {
      this.options.write(`${text}\n`);
      return;
    }
    this.endLine();
    this.raw(`${text}\n`);
  }

  private raw(text: string): void {
    if (!text) return;
    this.atLineStart = text.endsWith('\n');
    if (this.held) {
      this.held.push(text);
      return;
    }
    this.hideStatus();
    this.options.write(text);
    this.showStatus();
  }

  private showStatus(): void {
    if (!this.options.tty || this.options.statusLine === false || this.closed || this.held || !this.atLineStart || this.statusShown) return;
    const text = `orchd · ${this.agent} · ${this.phase} ${formatElapsed(this.elapsedMs())}`;
    const columns = this.options.columns?.();
    this.options.write(this.style.dim(columns ? text.slice(0, Math.max(1, columns - 1)) : text));
    this.statusShown = true;
  }

  private hideStatus(): void {
    if (!this.statusShown) return;
    this.options.write('\r\x1b[2K');
    this.statusShown = false;
  }

  /** Room left on a line after `used` characters (no limit when not a terminal). */
  private width(used: number): number {
    const columns = this.options.tty ? this.options.columns?.() : undefined;
    return columns ? Math.max(20, columns - used - 1) : 200;
  }
}

function indentLines(text: string, indent: string): string {
  return indent ? text.replace(/\n/g, `\n${indent}`) : text;
}

function scriptKindLabel(kind: string): string {
  return { setupScript: 'setup', cleanupScript: 'cleanup', archiveScript: 'archive', devServer: 'dev server', codingAgent: 'agent' }[kind] ?? kind;
}

/** Why an execution ended, in words: its reason, with the exit code or signal when the reason does not say it. */
export function describeEnd(execution: Pick<Execution, 'exitCode' | 'signal' | 'reason'>): string | null {
  const outcome = execution.exitCode !== null ? `exit code ${execution.exitCode}` : execution.signal ? `signal ${execution.signal}` : null;
  if (!execution.reason) return outcome;
  const said = execution.exitCode !== null ? String(execution.exitCode) : execution.signal;
  return outcome && said && !execution.reason.includes(said) ? `${outcome}, ${execution.reason}` : execution.reason;
}

/** Lines added and removed in a unified diff. */
export function diffCounts(diff: string): { additions: number; deletions: number } {
  let additions = 0;
  let deletions = 0;
  for (const line of diff.split('\n')) {
    if (line.startsWith('+++') || line.startsWith('---')) continue;
    if (line.startsWith('+')) additions++;
    else if (line.startsWith('-')) deletions++;
  }
  return { additions, deletions };
}

/** `usage: 34 in, 64 out tokens · $0.0318 · 0.1s`, or null when the entry says nothing. */
export function describeUsage(entry: Extract<NormalizedEntry, { type: 'usage' }>): string | null {
  const parts: string[] = [];
  if (entry.inputTokens !== null || entry.outputTokens !== null) {
    const cache = entry.cacheReadTokens ? `, ${entry.cacheReadTokens.toLocaleString('en-US')} cached` : '';
    parts.push(`${(entry.inputTokens ?? 0).toLocaleString('en-US')} in, ${(entry.outputTokens ?? 0).toLocaleString('en-US')} out tokens${cache}`);
  }
  if (entry.costUsd !== null) parts.push(`$${entry.costUsd.toFixed(4)}`);
  if (entry.durationMs !== null) parts.push(formatElapsed(entry.durationMs));
  return parts.length ? `usage: ${parts.join(' · ')}` : null;
}
