// terminal/*: interactive shells (or any program) in a pseudo-terminal inside a workspace, for a host's terminal panel
// (docs/terminals.md). Output travels as `terminal/output` events through `events/subscribe`; the scrollback, bounded in
// bytes, is read with the `terminal/output` method.
import * as v from 'valibot';
import { Id, Seq, Timestamp } from './common.js';

const Dimension = (what: string) => v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000), v.description(what));
const ChunkSeq = v.pipe(v.number(), v.integer(), v.minValue(0), v.description("A terminal's output chunk number: 1 for its first chunk, counting up; 0 before any"));

/** Signals `terminal/kill` may send; without one it stops the terminal's process group with escalation. */
export const TerminalSignal = v.picklist(['SIGINT', 'SIGTERM', 'SIGKILL', 'SIGHUP', 'SIGQUIT', 'SIGTSTP', 'SIGCONT', 'SIGWINCH', 'SIGUSR1', 'SIGUSR2']);

export const TerminalStatus = v.picklist(['running', 'exited']);

export const Terminal = v.strictObject({
  id: Id,
  workspaceId: Id,
  repositoryId: v.nullable(v.pipe(Id, v.description('The repository whose worktree it started in; null when `cwd` named another directory of the workspace'))),
  name: v.string(),
  cwd: v.pipe(v.string(), v.description('Absolute real path of the directory it started in, inside the workspace')),
  command: v.string(),
  args: v.array(v.string()),
  cols: Dimension('Columns'),
  rows: Dimension('Rows'),
  status: TerminalStatus,
  pid: v.nullable(v.number()),
  exitCode: v.nullable(v.number()),
  signal: v.nullable(v.string()),
  reason: v.nullable(
    v.pipe(v.string(), v.description('Why it ended when orchd ended it: `killed`, `workspace stopped`, `workspace archived`, `workspace deleted`, `orchd shut down`, or after a crash `orchd (pid N) stopped while this ran; …`')),
  ),
  outputSeq: v.pipe(ChunkSeq, v.description('The last output chunk so far')),
  scrollbackBytes: v.pipe(v.number(), v.integer(), v.description('How many bytes of output orchd keeps to replay, beyond a snapshot of the screen')),
  createdAt: Timestamp,
  endedAt: v.nullable(Timestamp),
});

export const TerminalCreateParams = v.strictObject({
  workspaceId: Id,
  repository: v.optional(v.pipe(Id, v.description("The repository whose worktree to start in (default: the workspace's first)"))),
  cwd: v.optional(v.pipe(v.string(), v.minLength(1), v.description('A directory relative to that worktree, or absolute; it must stay inside the workspace (by real path)'))),
  command: v.optional(v.pipe(v.string(), v.minLength(1), v.description("The program (default: the user's login shell, $SHELL, else /bin/sh)"))),
  args: v.optional(v.array(v.string())),
  env: v.optional(v.pipe(v.record(v.string(), v.string()), v.description('Variables added to the environment orchd gives workspace processes'))),
  cols: Dimension('Columns'),
  rows: Dimension('Rows'),
  name: v.optional(v.pipe(v.string(), v.maxLength(200))),
  scrollbackBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(64 * 1024), v.maxValue(256 * 1024 * 1024), v.description('Default 4 MB'))),
});
export const TerminalResult = v.strictObject({ terminal: Terminal });

export const TerminalInputParams = v.strictObject({
  terminalId: Id,
  data: v.pipe(v.string(), v.maxLength(16 * 1024 * 1024), v.description('UTF-8 text as typed (`\\r` for Enter, `\\u0003` for Ctrl-C); written in chunks of at most 64 KB')),
});
export const TerminalInputResult = v.strictObject({ bytes: v.pipe(v.number(), v.description('Bytes written to the terminal')) });

export const TerminalResizeParams = v.strictObject({ terminalId: Id, cols: Dimension('Columns'), rows: Dimension('Rows') });

export const TerminalKillParams = v.strictObject({
  terminalId: Id,
  signal: v.optional(v.pipe(TerminalSignal, v.description('Send this one signal to its process group; without it the group is stopped with escalation (SIGINT → SIGTERM → SIGKILL)'))),
});

export const TerminalListParams = v.strictObject({ workspaceId: v.optional(Id), status: v.optional(TerminalStatus) });
export const TerminalListResult = v.strictObject({ terminals: v.array(Terminal) });
export const TerminalGetParams = v.strictObject({ terminalId: Id });

export const TerminalOutputParams = v.strictObject({
  terminalId: Id,
  sinceSeq: v.optional(v.pipe(ChunkSeq, v.description('The last chunk the host has drawn; omitted or 0: everything kept')), 0),
});
export const TerminalOutputResult = v.strictObject({
  terminalId: Id,
  reset: v.pipe(
    v.boolean(),
    v.description('True when the host must clear its terminal before writing `data`: what it asked for is older than the scrollback, so `data` starts with a snapshot of the screen'),
  ),
  data: v.pipe(v.string(), v.description('Write this to a terminal emulator of the same size to draw the current screen (after a reset) or to catch up')),
  toSeq: v.pipe(ChunkSeq, v.description('The last chunk `data` includes; live `terminal/output` events continue after it')),
  exited: v.boolean(),
});

/** The tombstone a scrollback trim leaves in the event log, in place of the first `terminal/output` event it dropped. */
export const TerminalTrim = v.strictObject({
  terminalId: Id,
  fromSeq: v.pipe(Seq, v.description('The first dropped event; the tombstone took its place in the log')),
  toSeq: v.pipe(Seq, v.description('The last dropped event; other events in between are kept')),
  throughChunk: v.pipe(ChunkSeq, v.description('Chunks up to this one were dropped; a snapshot of the screen as of it stands in for them')),
  count: v.pipe(v.number(), v.integer(), v.minValue(1)),
  bytes: v.pipe(v.number(), v.integer(), v.minValue(0)),
});

export type Terminal = v.InferOutput<typeof Terminal>;
export type TerminalCreateParams = v.InferOutput<typeof TerminalCreateParams>;
export type TerminalOutputResult = v.InferOutput<typeof TerminalOutputResult>;
export type TerminalSignal = v.InferOutput<typeof TerminalSignal>;
