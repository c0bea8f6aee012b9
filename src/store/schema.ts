// Row types of the current database schema, for Kysely. Only src/store/ and the per-domain stores see rows.
import type { Generated } from 'kysely';

export interface EventsTable {
  seq: Generated<number>;
  kind: string;
  at: string;
  project_id: string | null;
  task_id: string | null;
  workspace_id: string | null;
  session_id: string | null;
  execution_id: string | null;
  data: string;
}

export interface ProjectsTable {
  id: string;
  name: string;
  scripts: string;
  copy_files: string;
  settings: string;
  /** JSON: the project's retention limits; null keeps everything (protocol/project.ts ProjectRetention). */
  retention: string | null;
  /** JSON: the project's own configuration layer, sparse (only what was set; migration 0009). The columns above
   * mirror it for an older orchd and are not read. */
  config: Generated<string>;
  created_at: string;
  updated_at: string;
}

export interface RepositoriesTable {
  id: string;
  project_id: string;
  name: string;
  path: string;
  position: number;
}

export interface TasksTable {
  id: string;
  project_id: string;
  title: string;
  description: string;
  status: string;
  created_at: string;
  updated_at: string;
}

export interface WorkspacesTable {
  id: string;
  project_id: string;
  task_id: string;
  state: string;
  path: string;
  branch: string;
  created_at: string;
  updated_at: string;
  merged_at: string | null;
  archived_at: string | null;
}

export interface WorkspaceRepositoriesTable {
  workspace_id: string;
  repository_id: string;
  name: string;
  path: string;
  source_path: string;
  branch: string;
  base_branch: string;
  base_oid: string;
  position: number;
}

export interface SessionsTable {
  id: string;
  workspace_id: string;
  executor: string;
  agent_session_id: string | null;
  status: string;
  queued_prompt: string | null;
  queued_at: string | null;
  created_at: string;
  updated_at: string;
  /** JSON: the resolved profile the session runs with (null for sessions from before profiles). */
  profile: string | null;
}

export interface ExecutionsTable {
  id: string;
  workspace_id: string;
  session_id: string | null;
  run_reason: string;
  status: string;
  exit_code: number | null;
  signal: string | null;
  pid: number | null;
  pgid: number | null;
  process_start_ticks: string | null;
  boot_id: string | null;
  owner_pid: number;
  owner_start_ticks: string | null;
  action: string;
  heads_before: string;
  heads_after: string | null;
  reason: string | null;
  started_at: string;
  ended_at: string | null;
  /** When retention dropped this execution's raw output (an `events/compacted` tombstone marks the place). */
  output_compacted_at: string | null;
}

export interface ApprovalsTable {
  id: string;
  session_id: string;
  execution_id: string;
  tool: string;
  tool_call_id: string | null;
  input: string;
  title: string | null;
  options: string;
  status: string;
  decision: string | null;
  reason: string | null;
  decided_by: string | null;
  created_at: string;
  resolved_at: string | null;
}

export interface SessionGrantsTable {
  session_id: string;
  tool: string;
  approval_id: string;
  granted_at: string;
}

export interface Database {
  events: EventsTable;
  projects: ProjectsTable;
  repositories: RepositoriesTable;
  tasks: TasksTable;
  workspaces: WorkspacesTable;
  workspace_repositories: WorkspaceRepositoriesTable;
  sessions: SessionsTable;
  executions: ExecutionsTable;
  approvals: ApprovalsTable;
  session_grants: SessionGrantsTable;
  tokens: TokensTable;
  terminals: TerminalsTable;
}

/** Service-mode access tokens: only the SHA-256 of each secret is stored. */
export interface TokensTable {
  id: string;
  name: string;
  hash: string;
  read_only: number;
  created_at: string;
  revoked_at: string | null;
}

/** PTY terminals (src/terminals/): the process identity, the size, and the snapshot standing in for trimmed output. */
export interface TerminalsTable {
  id: string;
  workspace_id: string;
  repository_id: string | null;
  name: string;
  cwd: string;
  command: string;
  /** JSON array of strings. */
  args: string;
  cols: number;
  rows: number;
  status: 'running' | 'exited';
  pid: number | null;
  process_start_ticks: string | null;
  boot_id: string | null;
  owner_pid: number;
  owner_start_ticks: string | null;
  exit_code: number | null;
  signal: string | null;
  reason: string | null;
  /** The last output chunk written. */
  output_seq: number;
  scrollback_bytes: number;
  /** A serialized screen (ANSI) as of chunk `snapshot_seq`; chunks up to it were trimmed from the log. */
  snapshot: string | null;
  snapshot_seq: number;
  created_at: string;
  ended_at: string | null;
}
