// `orchd entries --agent ID [--json|--stats] FILE|-`: a recorded raw agent log (the agent's stdout as printed, or a
// two-way transcript, src/normalizers/recorded-log.ts) turned into the conversation, with no daemon and no data
// directory. The lines go through exactly what a live session's go through: the output capture's line handling, the
// executor's normalizer as the registry gives it (guarded), and the replay loop of `session/entries`
// (src/normalizers/replay.ts). Printed as `orchd run`'s live view, as JSON lines (the final state of each entry), or
// as counts (`--stats`): how a person turns any log into a conversation, and how a bug report carries a capture.
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { TOOL_STATUSES, type NormalizedEntry, type ToolStatus } from '../../protocol/entries.js';
import { listExecutors } from '../executors/registry.js';
import { NORMALIZER_FORMATS, type NormalizerFormatName } from '../normalizers/formats.js';
import { guardNormalizer } from '../normalizers/guard.js';
import { readRecordedLog, type RecordedLogForm, type RecordedLogReader } from '../normalizers/recorded-log.js';
import { replayEntries } from '../normalizers/replay.js';
import type { Normalizer, RawStream } from '../normalizers/types.js';
import { sumUsage } from '../sessions/usage.js';
import type { EntriesArgs } from './args.js';
import { describeUsage, RunRenderer } from './run/render.js';
import { oneLine, wantsColor } from './run/style.js';
import { didYouMean } from './suggest.js';

export type { EntriesArgs };

export interface EntriesCommandOptions extends EntriesArgs {
  /** The log when `file` is `-` (default: process.stdin). */
  stdin?: Readable;
  write?: (text: string) => void;
  writeError?: (text: string) => void;
  /** Live view on a terminal, with colours (default: whether stdout is one). */
  tty?: boolean;
  env?: Record<string, string | undefined>;
}

/** The execution id replayed entries are stamped with (their ids are `replay/<id>`): a log file belongs to no execution. */
export const REPLAY_EXECUTION_ID = 'replay';

/** Every entry type, in the order the counts list them. */
const ENTRY_TYPES = ['userMessage', 'assistantMessage', 'thinking', 'toolCall', 'error', 'systemInfo', 'usage', 'agentSession', 'raw'] as const satisfies readonly NormalizedEntry['type'][];
type EntryType = (typeof ENTRY_TYPES)[number];
// The list names every type (the compiler says which one is missing).
const everyType: [Exclude<NormalizedEntry['type'], EntryType>] extends [never] ? true : never = true;
void everyType;

/** One turn's figures, as its usage entry says. */
export interface UsageFiguresOfTurn {
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadTokens: number | null;
  costUsd: number | null;
  durationMs: number | null;
}

/** What `--stats` counts. */
export interface EntriesStats {
  /** The executor id or format name that read the log. */
  agent: string;
  form: RecordedLogForm;
  /** Lines read, per stream. */
  lines: Record<RawStream, number>;
  entries: number;
  entriesByType: Record<EntryType, number>;
  /** Lines the normalizer did not understand (each kept as a `raw` entry); stderr diagnostics are not counted. */
  unknownLines: number;
  toolCalls: number;
  toolCallsByStatus: Record<ToolStatus, number>;
  /** The agent's own session ids, in order of appearance (usually one). */
  agentSessionIds: string[];
  /** Entries made from lines longer than orchd keeps whole (their long strings cut). */
  truncatedEntries: number;
  usage: { turns: UsageFiguresOfTurn[]; total: UsageFiguresOfTurn | null };
}

/** Replay the log and print it; resolves with the exit code (2: a usage mistake, 1: the log could not be read). */
export async function entriesCommand(options: EntriesCommandOptions): Promise<number> {
  const write = options.write ?? writeStdout();
  const writeError = options.writeError ?? ((text: string) => void process.stderr.write(text));
  const reader = replayReader(options.agent, options.format);
  if ('mistake' in reader) {
    writeError(`orchd: ${reader.mistake}\n`);
    return 2;
  }
  let input: Readable;
  try {
    input = await openLog(options.file, options.stdin);
  } catch (error) {
    writeError(`orchd: ${describeReadError(options.file, error)}\n`);
    return 1;
  }

  const replay = replayEntries(reader.create(), REPLAY_EXECUTION_ID);
  const view = !options.json && !options.stats;
  const tty = view && (options.tty ?? Boolean(process.stdout.isTTY));
  const color = wantsColor({ isTty: tty, noColorFlag: options.noColor, env: options.env ?? process.env });
  const renderer = view ? new RunRenderer({ write, tty, color, agent: reader.label, columns: () => process.stdout.columns, statusLine: false, userMessages: true }) : null;
  renderer?.note(`▸ ${reader.label}`, 'dim');
  // Every upsert reaches the view as it would have live (a message grows, a tool call moves), in the log's order.
  let log: RecordedLogReader;
  try {
    log = await readRecordedLog(input, (line, stream) => {
      if (stdoutGone) throw new Error('stdout closed');
      const changed = replay.push(line, stream);
      if (renderer) for (const entry of changed) renderer.entry(entry);
    });
  } catch (error) {
    if (stdoutGone) return 0;
    renderer?.close();
    writeError(`orchd: ${describeReadError(options.file, error)}\n`);
    return 1;
  } finally {
    if (options.file !== '-') input.destroy();
  }

  const entries = [...replay.entries.values()];
  if (renderer) {
    if (replay.unknownLines) renderer.note(`· ${plural(replay.unknownLines, 'line')} not understood (\`orchd entries --stats\` shows them)${formatHint(entries)}`, 'dim');
    renderer.close();
    return 0;
  }
  if (!options.stats) {
    for (const entry of entries) write(`${JSON.stringify(entry)}\n`);
    return 0;
  }
  const stats = entriesStats(entries, { agent: reader.label, form: log.form ?? 'stdout', lines: { ...log.lines }, unknownLines: replay.unknownLines });
  write(options.json ? `${JSON.stringify(stats)}\n` : describeStats(stats, entries));
  return 0;
}

/** Set when stdout's reader went away (`orchd entries … | head`): reading stops, nothing more is written, and that is
 * no error. */
let stdoutGone = false;

/** Writes to stdout that end quietly when its reader is gone. */
function writeStdout(): (text: string) => void {
  process.stdout.on('error', () => {
    stdoutGone = true;
  });
  return (text) => void (stdoutGone || process.stdout.write(text));
}

/** The normalizer that reads the log (guarded, as every live one is) and what to call it; or the usage mistake. */
export function replayReader(agent: string | undefined, format: string | undefined): { label: string; create: () => Normalizer } | { mistake: string } {
  const executors = listExecutors();
  const formats = Object.keys(NORMALIZER_FORMATS);
  if (agent === undefined && format === undefined) return { mistake: 'Expected `--agent ID` (or `--format NAME`), got neither' };
  if (agent !== undefined) {
    const executor = executors.find((e) => e.id === agent);
    if (!executor) return { mistake: `Expected \`--agent\` to be one of ${executors.map((e) => e.id).join(', ')}, got \`${agent}\`${didYouMean(agent, executors.map((e) => e.id))}` };
    if (format === undefined) return { label: executor.id, create: () => executor.createNormalizer() };
  }
  if (!isFormatName(format!)) return { mistake: `Expected \`--format\` to be one of ${formats.join(', ')}, got \`${format}\`${didYouMean(format!, formats)}` };
  const create = NORMALIZER_FORMATS[format].create;
  return { label: agent ?? format, create: () => guardNormalizer(create()) };
}

function isFormatName(name: string): name is NormalizerFormatName {
  return Object.hasOwn(NORMALIZER_FORMATS, name);
}

/** The log as a stream: stdin for `-`, else the file, opened now so a missing one is reported before anything is printed. */
async function openLog(file: string, stdin: Readable | undefined): Promise<Readable> {
  if (file === '-') return stdin ?? process.stdin;
  const handle = await open(file, 'r');
  if ((await handle.stat()).isDirectory()) {
    await handle.close();
    throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
  }
  return handle.createReadStream();
}

/** One sentence about a log that could not be read. */
function describeReadError(file: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory' : code === 'EACCES' ? 'permission denied' : ((error as Error).message ?? String(error));
  return file === '-' ? `Expected to read the log from stdin, but ${why}` : `Expected \`FILE\` to be a readable log file, got \`${file}\` (${why})`;
}

// ---- counts -----------------------------------------------------------------------------------------------------

/** The counts of a replayed log's entries (final state of each). */
export function entriesStats(
  entries: readonly NormalizedEntry[],
  read: { agent: string; form: RecordedLogForm; lines: Record<RawStream, number>; unknownLines: number },
): EntriesStats {
  const entriesByType = Object.fromEntries(ENTRY_TYPES.map((type) => [type, 0])) as Record<EntryType, number>;
  const toolCallsByStatus = Object.fromEntries(TOOL_STATUSES.map((status) => [status, 0])) as Record<ToolStatus, number>;
  const agentSessionIds: string[] = [];
  const usage: Extract<NormalizedEntry, { type: 'usage' }>[] = [];
  let truncatedEntries = 0;
  for (const entry of entries) {
    entriesByType[entry.type]++;
    if (entry.truncated !== undefined) truncatedEntries++;
    if (entry.type === 'toolCall') toolCallsByStatus[entry.status]++;
    else if (entry.type === 'agentSession' && !agentSessionIds.includes(entry.agentSessionId)) agentSessionIds.push(entry.agentSessionId);
    else if (entry.type === 'usage') usage.push(entry);
  }
  const turns = usage.map(({ inputTokens, outputTokens, cacheReadTokens, costUsd, durationMs }) => ({ inputTokens, outputTokens, cacheReadTokens, costUsd, durationMs }));
  const sum = sumUsage(usage);
  const durations = turns.filter((t) => t.durationMs !== null);
  const total = turns.length
    ? {
        ...sum,
        // Dollar sums of small floats, rounded to a billionth so 0.1 + 0.2 reads 0.3 (as session/get's totals).
        costUsd: sum.costUsd === null ? null : Math.round(sum.costUsd * 1e9) / 1e9,
        durationMs: durations.length ? durations.reduce((all, t) => all + t.durationMs!, 0) : null,
      }
    : null;
  return {
    agent: read.agent,
    form: read.form,
    lines: read.lines,
    entries: entries.length,
    entriesByType,
    unknownLines: read.unknownLines,
    toolCalls: entriesByType.toolCall,
    toolCallsByStatus,
    agentSessionIds,
    truncatedEntries,
    usage: { turns, total },
  };
}

/** How many unknown lines `--stats` shows. */
const UNKNOWN_PREVIEW = 5;

/** The counts for people, one fact a line. */
export function describeStats(stats: EntriesStats, entries: readonly NormalizedEntry[]): string {
  const counted = (counts: Record<string, number>) =>
    Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([name, n]) => `${n} ${name}`)
      .join(', ');
  const rows: [string, string][] = [
    ['agent', stats.agent],
    ['lines', `${stats.lines.stdout} stdout, ${stats.lines.stdin} stdin, ${stats.lines.stderr} stderr (${stats.form === 'transcript' ? 'a transcript' : 'stdout as printed'})`],
    ['entries', `${stats.entries}${stats.entries ? `: ${counted(stats.entriesByType)}` : ''}`],
    ['unknown lines', String(stats.unknownLines)],
    ['tool calls', `${stats.toolCalls}${stats.toolCalls ? `: ${counted(stats.toolCallsByStatus)}` : ''}`],
    ['session', stats.agentSessionIds.length ? stats.agentSessionIds.join(', ') : '(none reported)'],
  ];
  if (stats.truncatedEntries) rows.push(['truncated', `${plural(stats.truncatedEntries, 'entry', 'entries')} from over-long lines`]);
  const usage = stats.usage.turns.map((turn, index) => [index === 0 ? 'usage' : '', `turn ${index + 1}: ${describeFigures(turn)}`] as [string, string]);
  if (stats.usage.total && stats.usage.turns.length > 1) usage.push(['', `total: ${describeFigures(stats.usage.total)}`]);
  rows.push(...(usage.length ? usage : [['usage', '(none reported)'] as [string, string]]));
  const unknown = entries.filter((e): e is Extract<NormalizedEntry, { type: 'raw' }> => e.type === 'raw' && e.kind !== 'diagnostic');
  for (const [index, entry] of unknown.slice(0, UNKNOWN_PREVIEW).entries()) rows.push([index === 0 ? 'not understood' : '', `${entry.stream}: ${oneLine(entry.line, 120)}`]);
  if (unknown.length > UNKNOWN_PREVIEW) rows.push(['', `… ${unknown.length - UNKNOWN_PREVIEW} more (\`--json\` prints them all)`]);
  const hint = formatHint(entries);
  if (hint) rows.push(['', hint.replace(/^; /, '')]);
  return rows.map(([name, value]) => `${name.padEnd(15)} ${value}`.trimEnd()).join('\n') + '\n';
}

/** When nothing in the log was understood, it is most likely in another format: say which ones `--format` reads. */
function formatHint(entries: readonly NormalizedEntry[]): string {
  const understood = entries.some((e) => e.type !== 'raw' || e.kind === 'diagnostic');
  if (understood || !entries.length) return '';
  return `; nothing was understood: is the log in another format? \`--format\` reads ${Object.keys(NORMALIZER_FORMATS).join(', ')}`;
}

function describeFigures(figures: UsageFiguresOfTurn): string {
  const text = describeUsage({ id: '', executionId: '', type: 'usage', ...figures });
  return text ? text.replace(/^usage: /, '') : 'nothing reported';
}

function plural(count: number, word: string, words = `${word}s`): string {
  return `${count} ${count === 1 ? word : words}`;
}
