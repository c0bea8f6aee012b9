// `orchd ls [workspaces|sessions|tasks|projects]`: what orchd knows, as a table that fits the terminal (or JSON).
// Workspaces (the default) show their task, branch, agent, status, last activity, tokens and cost, so a `ws_…` id
// that scrolled away is one command from being merged or removed. Everything comes through the protocol.
import type { Execution, Session, SessionUsage } from '../../protocol/execution.js';
import type { Project } from '../../protocol/project.js';
import type { Task } from '../../protocol/task.js';
import type { Workspace } from '../../protocol/workspace.js';
import type { LsArgs } from './args.js';
import { abbreviationLength } from './ids.js';
import { connectOrReport, describeError, type DaemonClient } from './local-daemon.js';
import { ago, compactCount, dollars, formatTable, outputWidth, type Column } from './table.js';

export interface LsCommandOptions extends LsArgs {
  version: string;
  write?: (text: string) => void;
  /** The table's width (default: the terminal's, else $COLUMNS, else no limit). */
  width?: number;
  now?: number;
}

/** What a session did, in one word: `running`, or how its last agent turn ended (`completed`, `failed`, `stopped`), or `idle`. */
export type SessionOutcome = 'running' | 'completed' | 'failed' | 'stopped' | 'idle';

/** One session as `orchd ls sessions` shows it. */
export interface SessionRow {
  id: string;
  workspaceId: string;
  taskId: string | null;
  task: string | null;
  agent: string;
  status: SessionOutcome;
  /** Agent executions: the first prompt and each follow-up. */
  turns: number;
  lastActivityAt: string;
  usage: SessionUsage | null;
}

/** One workspace as `orchd ls` shows it. */
export interface WorkspaceRow {
  id: string;
  projectId: string;
  project: string | null;
  taskId: string;
  task: string | null;
  branch: string;
  /** The executor of its latest session. */
  agent: string | null;
  /** `running`, `merged`, a state other than `active` (`archived`, `creating` …), else its latest session's outcome. */
  status: string;
  state: Workspace['state'];
  mergedAt: string | null;
  lastActivityAt: string;
  sessionId: string | null;
  sessions: number;
  worktrees: string[];
  /** The sum over its sessions; null when none reported any usage. */
  usage: SessionUsage | null;
}

export interface TaskRow {
  id: string;
  projectId: string;
  project: string | null;
  title: string;
  status: Task['status'];
  workspaces: number;
  updatedAt: string;
}

export interface ProjectRow {
  id: string;
  name: string;
  repositories: string[];
  workspaces: number;
  createdAt: string;
}

/** List; resolves with the exit code (0 listed, 1 an error). */
export async function lsCommand(options: LsCommandOptions): Promise<number> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  // `orchd ls | head`: a reader that leaves early is no error.
  if (!options.write) process.stdout.on('error', () => {});
  const daemon = await connectOrReport({ version: options.version, logLevel: options.logLevel, dataDir: options.dataDir });
  if (!daemon) return 1;
  try {
    await daemon.initialize({ clientName: 'orchd-cli', approvals: false });
    const width = options.width ?? outputWidth(process.stdout, process.env);
    const now = options.now ?? Date.now();
    const snapshot = await readSnapshot(daemon);
    const listing = await listingOf(daemon, snapshot, options.kind, options.all, now);
    write(options.json ? `${JSON.stringify({ [options.kind]: listing.rows }, null, 2)}\n` : listing.text(width));
    return 0;
  } catch (error) {
    process.stderr.write(`orchd: ${describeError(error)}\n`);
    return 1;
  } finally {
    await daemon.close();
  }
}

interface Snapshot {
  projects: Project[];
  tasks: Task[];
  workspaces: Workspace[];
  sessions: Session[];
}

async function readSnapshot(daemon: DaemonClient): Promise<Snapshot> {
  const [{ projects }, { tasks }, { workspaces }, { sessions }] = await Promise.all([
    daemon.request('project/list', {}),
    daemon.request('task/list', {}),
    daemon.request('workspace/list', {}),
    daemon.request('session/list', {}),
  ]);
  return { projects, tasks, workspaces, sessions };
}

interface Listing {
  rows: unknown[];
  text(width: number): string;
}

async function listingOf(daemon: DaemonClient, snapshot: Snapshot, kind: LsArgs['kind'], all: boolean, now: number): Promise<Listing> {
  switch (kind) {
    case 'projects': {
      const rows = projectRows(snapshot);
      return { rows, text: (width) => tableText(projectColumns(rows, snapshot), rows, width, 'No projects yet (`orchd run --agent ID "PROMPT"` in a git repository makes one)') };
    }
    case 'tasks': {
      const everyRow = taskRows(snapshot);
      const rows = all ? everyRow : everyRow.filter((row) => row.status !== 'done' && row.status !== 'cancelled');
      const hidden = everyRow.length - rows.length;
      return {
        rows,
        text: (width) => tableText(taskColumns(rows, snapshot, now), rows, width, 'No tasks', hidden ? `${count(hidden, 'done or cancelled task')} not shown (orchd ls tasks --all)` : null),
      };
    }
    case 'workspaces': {
      const everyWorkspace = snapshot.workspaces;
      const shown = all ? everyWorkspace : everyWorkspace.filter((w) => !finished(w, snapshot.sessions));
      const rows = await workspaceRows(daemon, snapshot, shown);
      const hidden = everyWorkspace.length - shown.length;
      return {
        rows,
        text: (width) =>
          tableText(workspaceColumns(rows, snapshot, now), rows, width, 'No workspaces (start one with `orchd run --agent ID "PROMPT"`)', hidden ? `${count(hidden, 'merged or archived workspace')} not shown (orchd ls --all)` : null),
      };
    }
    case 'sessions': {
      const shownWorkspaces = new Set((all ? snapshot.workspaces : snapshot.workspaces.filter((w) => !finished(w, snapshot.sessions))).map((w) => w.id));
      const sessions = snapshot.sessions.filter((s) => shownWorkspaces.has(s.workspaceId));
      const rows = (await sessionDetails(daemon, sessions)).map((detail) => sessionRow(detail, snapshot)).sort(byActivity);
      const hidden = snapshot.sessions.length - sessions.length;
      return {
        rows,
        text: (width) => tableText(sessionColumns(rows, snapshot, now), rows, width, 'No sessions', hidden ? `${count(hidden, 'session')} of merged or archived workspaces not shown (orchd ls sessions --all)` : null),
      };
    }
  }
}

function tableText<Row>(columns: Column<Row>[], rows: Row[], width: number, empty: string, footer: string | null = null): string {
  const lines = rows.length ? formatTable(columns, rows, width) : [empty];
  if (footer) lines.push(footer);
  return `${lines.join('\n')}\n`;
}

const count = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** Merged (and nothing running) or archived: work that is over; `orchd ls` shows it with --all. */
function finished(workspace: Workspace, sessions: readonly Session[]): boolean {
  if (workspace.state === 'archived') return true;
  return workspace.mergedAt !== null && !sessions.some((s) => s.workspaceId === workspace.id && s.status === 'running');
}

// ---- sessions ---------------------------------------------------------------------------------------------------

interface SessionDetail {
  session: Session;
  executions: Execution[];
  usage: SessionUsage | null;
}

/**
 * The token and cost totals of one session, from `session/get` (`session.usage`: the sum of its per-turn usage
 * entries); null when the session reported none.
 */
export function sessionTotals(session: Session): SessionUsage | null {
  return session.usage ?? null;
}

/** Each session with its executions and usage totals (`session/get` fills in `usage`; `session/list` does not). */
async function sessionDetails(daemon: DaemonClient, sessions: readonly Session[]): Promise<SessionDetail[]> {
  return Promise.all(
    sessions.map(async (listed) => {
      const [{ session }, { executions }] = await Promise.all([daemon.request('session/get', { sessionId: listed.id }), daemon.request('execution/list', { sessionId: listed.id })]);
      return { session, executions, usage: sessionTotals(session) };
    }),
  );
}

/** How a session stands: running, or how its last agent turn ended; a failed setup with no agent turn is `failed`. */
export function sessionOutcome(session: Pick<Session, 'status'>, executions: readonly Pick<Execution, 'runReason' | 'status'>[]): SessionOutcome {
  if (session.status === 'running') return 'running';
  const agent = executions.filter((e) => e.runReason === 'codingAgent').at(-1);
  if (!agent) return executions.some((e) => e.status === 'failed') ? 'failed' : 'idle';
  return agent.status === 'killed' ? 'stopped' : agent.status === 'running' ? 'running' : agent.status;
}

function lastActivity(times: readonly (string | null | undefined)[]): string {
  return times.filter((t): t is string => Boolean(t)).reduce((latest, t) => (t > latest ? t : latest), '');
}

function sessionActivity(detail: SessionDetail): string {
  return lastActivity([detail.session.updatedAt, ...detail.executions.flatMap((e) => [e.startedAt, e.endedAt])]);
}

function sessionRow(detail: SessionDetail, snapshot: Snapshot): SessionRow {
  const workspace = snapshot.workspaces.find((w) => w.id === detail.session.workspaceId);
  const task = workspace ? snapshot.tasks.find((t) => t.id === workspace.taskId) : undefined;
  return {
    id: detail.session.id,
    workspaceId: detail.session.workspaceId,
    taskId: workspace?.taskId ?? null,
    task: task?.title ?? null,
    agent: detail.session.executor,
    status: sessionOutcome(detail.session, detail.executions),
    turns: detail.executions.filter((e) => e.runReason === 'codingAgent').length,
    lastActivityAt: sessionActivity(detail),
    usage: detail.usage,
  };
}

/** Two usage totals added; a field stays null only when both are. */
export function addUsage(a: SessionUsage | null, b: SessionUsage | null): SessionUsage | null {
  if (!a) return b;
  if (!b) return a;
  const plus = (x: number | null, y: number | null) => (x === null && y === null ? null : (x ?? 0) + (y ?? 0));
  return { inputTokens: plus(a.inputTokens, b.inputTokens), outputTokens: plus(a.outputTokens, b.outputTokens), cachedTokens: plus(a.cachedTokens, b.cachedTokens), costUsd: plus(a.costUsd, b.costUsd) };
}

/** Every token a session's turns read or wrote (input, cached input and output); null when none was reported. */
export function totalTokens(usage: SessionUsage | null): number | null {
  if (!usage || (usage.inputTokens === null && usage.outputTokens === null && usage.cachedTokens === null)) return null;
  return (usage.inputTokens ?? 0) + (usage.cachedTokens ?? 0) + (usage.outputTokens ?? 0);
}

const byActivity = (a: { lastActivityAt: string }, b: { lastActivityAt: string }) => a.lastActivityAt.localeCompare(b.lastActivityAt);

// ---- workspaces -------------------------------------------------------------------------------------------------

async function workspaceRows(daemon: DaemonClient, snapshot: Snapshot, shown: readonly Workspace[]): Promise<WorkspaceRow[]> {
  const ids = new Set(shown.map((w) => w.id));
  const details = await sessionDetails(
    daemon,
    snapshot.sessions.filter((s) => ids.has(s.workspaceId)),
  );
  return shown.map((workspace) => workspaceRow(workspace, details.filter((d) => d.session.workspaceId === workspace.id), snapshot)).sort(byActivity);
}

/** What a workspace is doing, in one word (see WorkspaceRow.status). */
export function workspaceStatus(workspace: Pick<Workspace, 'state' | 'mergedAt'>, sessions: readonly { session: Pick<Session, 'status'>; executions: readonly Pick<Execution, 'runReason' | 'status'>[] }[]): string {
  if (workspace.state !== 'active') return workspace.state;
  if (sessions.some((d) => d.session.status === 'running')) return 'running';
  if (workspace.mergedAt) return 'merged';
  const latest = sessions.at(-1);
  return latest ? sessionOutcome(latest.session, latest.executions) : 'idle';
}

function workspaceRow(workspace: Workspace, details: readonly SessionDetail[], snapshot: Snapshot): WorkspaceRow {
  const latest = details.at(-1);
  return {
    id: workspace.id,
    projectId: workspace.projectId,
    project: snapshot.projects.find((p) => p.id === workspace.projectId)?.name ?? null,
    taskId: workspace.taskId,
    task: snapshot.tasks.find((t) => t.id === workspace.taskId)?.title ?? null,
    branch: workspace.branch,
    agent: latest?.session.executor ?? null,
    status: workspaceStatus(workspace, details),
    state: workspace.state,
    mergedAt: workspace.mergedAt,
    lastActivityAt: lastActivity([workspace.updatedAt, workspace.mergedAt, ...details.map(sessionActivity)]),
    sessionId: latest?.session.id ?? null,
    sessions: details.length,
    worktrees: workspace.repositories.map((r) => r.path),
    usage: details.reduce<SessionUsage | null>((sum, d) => addUsage(sum, d.usage), null),
  };
}

// ---- tasks and projects -----------------------------------------------------------------------------------------

function taskRows(snapshot: Snapshot): TaskRow[] {
  return snapshot.tasks.map((task) => ({
    id: task.id,
    projectId: task.projectId,
    project: snapshot.projects.find((p) => p.id === task.projectId)?.name ?? null,
    title: task.title,
    status: task.status,
    workspaces: snapshot.workspaces.filter((w) => w.taskId === task.id).length,
    updatedAt: task.updatedAt,
  }));
}

function projectRows(snapshot: Snapshot): ProjectRow[] {
  return snapshot.projects.map((project) => ({
    id: project.id,
    name: project.name,
    repositories: project.repositories.map((r) => r.path),
    workspaces: snapshot.workspaces.filter((w) => w.projectId === project.id).length,
    createdAt: project.createdAt,
  }));
}

// ---- columns ----------------------------------------------------------------------------------------------------

/** The id cut to the length that tells the shown rows apart from every id of their kind. */
function abbreviator(shown: readonly string[], all: readonly string[]): (id: string) => string {
  const length = abbreviationLength(shown, all);
  return (id) => id.slice(0, length);
}

function usageColumns<Row extends { usage: SessionUsage | null }>(): Column<Row>[] {
  return [
    { header: 'TOKENS', cell: (row) => compactCount(totalTokens(row.usage)), align: 'right' },
    { header: 'COST', cell: (row) => dollars(row.usage?.costUsd), align: 'right' },
  ];
}

function workspaceColumns(rows: readonly WorkspaceRow[], snapshot: Snapshot, now: number): Column<WorkspaceRow>[] {
  const short = abbreviator(
    rows.map((r) => r.id),
    snapshot.workspaces.map((w) => w.id),
  );
  return [
    { header: 'ID', cell: (row) => short(row.id) },
    { header: 'TASK', cell: (row) => row.task ?? '-', flexMin: 12 },
    { header: 'BRANCH', cell: (row) => row.branch, flexMin: 14, dropPriority: 1 },
    { header: 'AGENT', cell: (row) => row.agent ?? '-', flexMin: 6 },
    { header: 'STATUS', cell: (row) => row.status },
    { header: 'ACTIVE', cell: (row) => ago(row.lastActivityAt, now), align: 'right' },
    ...usageColumns<WorkspaceRow>(),
  ];
}

function sessionColumns(rows: readonly SessionRow[], snapshot: Snapshot, now: number): Column<SessionRow>[] {
  const short = abbreviator(
    rows.map((r) => r.id),
    snapshot.sessions.map((s) => s.id),
  );
  const shortWorkspace = abbreviator(
    rows.map((r) => r.workspaceId),
    snapshot.workspaces.map((w) => w.id),
  );
  return [
    { header: 'ID', cell: (row) => short(row.id) },
    { header: 'WORKSPACE', cell: (row) => shortWorkspace(row.workspaceId) },
    { header: 'TASK', cell: (row) => row.task ?? '-', flexMin: 12, dropPriority: 1 },
    { header: 'AGENT', cell: (row) => row.agent, flexMin: 6 },
    { header: 'STATUS', cell: (row) => row.status },
    { header: 'TURNS', cell: (row) => String(row.turns), align: 'right', dropPriority: 2 },
    { header: 'ACTIVE', cell: (row) => ago(row.lastActivityAt, now), align: 'right' },
    ...usageColumns<SessionRow>(),
  ];
}

function taskColumns(rows: readonly TaskRow[], snapshot: Snapshot, now: number): Column<TaskRow>[] {
  const short = abbreviator(
    rows.map((r) => r.id),
    snapshot.tasks.map((t) => t.id),
  );
  return [
    { header: 'ID', cell: (row) => short(row.id) },
    { header: 'TITLE', cell: (row) => row.title, flexMin: 12 },
    { header: 'PROJECT', cell: (row) => row.project ?? '-', flexMin: 8, dropPriority: 1 },
    { header: 'STATUS', cell: (row) => row.status },
    { header: 'WORKSPACES', cell: (row) => String(row.workspaces), align: 'right' },
    { header: 'UPDATED', cell: (row) => ago(row.updatedAt, now), align: 'right' },
  ];
}

function projectColumns(rows: readonly ProjectRow[], snapshot: Snapshot): Column<ProjectRow>[] {
  const short = abbreviator(
    rows.map((r) => r.id),
    snapshot.projects.map((p) => p.id),
  );
  return [
    { header: 'ID', cell: (row) => short(row.id) },
    { header: 'NAME', cell: (row) => row.name, flexMin: 8 },
    { header: 'WORKSPACES', cell: (row) => String(row.workspaces), align: 'right' },
    { header: 'REPOSITORIES', cell: (row) => row.repositories.join(', '), flexMin: 16 },
  ];
}
