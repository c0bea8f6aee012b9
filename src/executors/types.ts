import type { ApprovalAnswer, ApprovalDecision } from '../../protocol/approvals.js';
import type { Normalizer, NormalizerOptions } from '../normalizers/types.js';

// The one interface every agent executor implements. One agent turn is one OS process: the engine spawns what
// `prepare` returns (own process group, stdout/stderr captured, stdin recorded), hands the process's stdin to the
// driver, feeds it every stdout line, and stops it with the driver's interrupt first, then signals. Follow-ups are
// new processes that resume the agent's own session. Nothing here knows JSON-RPC to the host or the database.

export interface ExecutorCapabilities {
  /** Follow-ups continue the agent's own session. */
  resume: boolean;
  /** A new session can start from a copy of an earlier one. */
  fork: boolean;
  /** The conversation can be cut back to an earlier message. */
  reset: boolean;
  /** Permission prompts reach orchd (and the host) before a tool runs. */
  approvals: boolean;
  images: boolean;
  /** A model can be chosen. */
  models: boolean;
  /** MCP servers can be configured. */
  mcp: boolean;
  /** The agent can be asked to stop its turn (an interrupt message) before signals are sent. */
  gracefulStop: boolean;
}

/** Resolved settings for one run: from the session's profile and the request. */
export interface AgentProfile {
  model: string | null;
  /** One of the executor's `permissionModes`: Claude `default | acceptEdits | plan | bypassPermissions`, Codex approval
   * policy, … */
  permissionMode: string | null;
  /** Explicit command-line words from the project's profile; flags allowed. */
  extraArgs: string[];
  /** The real values (secret: shown as `***` everywhere outside the engine). */
  env: Record<string, string>;
  /** For executors whose program is configured (the generic `acp` executor): the command line. */
  command?: string[] | null;
}

export interface AgentTurnRequest {
  /** The worktree (or workspace folder for several repositories). */
  cwd: string;
  prompt: string;
  /** The agent's own session id to resume, for follow-ups. */
  resumeAgentSessionId: string | null;
  /** Resume into a new agent session (a fork); the resumed one is left as it was. Only with `fork` capability. */
  fork?: boolean;
  /** Resume as of this point of the conversation (from `resumePoint`), dropping what came after. */
  resumeAt?: string | null;
  /** The environment (already includes the workspace variables and the profile's env). */
  env: Record<string, string>;
  profile: AgentProfile;
}

/** What the driver may do to the process. Every write is recorded in the execution's raw log as `stdin`. */
export interface AgentInput {
  /** Write one line (a newline is added). Ignored after the input is closed. */
  writeLine(line: string): void;
  /** Close stdin: most agents then finish and exit. */
  close(): void;
}

/** A permission prompt from the agent, as orchd's approvals see it. */
export interface ApprovalAsk {
  tool: string;
  toolCallId: string | null;
  input: unknown;
  title: string | null;
  /** Decisions this agent can act on; `allowSession` only where the agent or orchd can remember it. */
  options: ApprovalDecision[];
}

export interface AgentHooks {
  /** Ask for permission. Resolves with the decision (from the host, a rule, the timeout policy or the session), or
   * rejects when the execution is being stopped or `signal` aborts (the agent withdrew the question) — then the
   * driver answers the agent with a cancellation if it can. */
  requestApproval(ask: ApprovalAsk, signal?: AbortSignal): Promise<ApprovalAnswer>;
  /** Report a problem the user should see (written to the daemon log; the normalizer makes the entry). */
  warn(message: string, detail?: Record<string, unknown>): void;
}

/** Drives one agent process through one turn. Created per execution. */
export interface AgentDriver {
  /** The process has spawned: send what starts the turn (initialize, the prompt …). */
  start(input: AgentInput): void;
  /** One stdout line (without its newline), in order. */
  onStdoutLine(line: string): void;
  /** Ask the agent to stop its turn gracefully. Returns false when it cannot (signals follow at once). */
  interrupt(): boolean;
}

export interface AgentLaunch {
  argv: string[];
  env: Record<string, string>;
  driver: AgentDriver;
}

export interface ExecutorAvailability {
  available: boolean;
  version: string | null;
  path: string | null;
  /** What to install or set when it is not available. */
  hint: string | null;
  /** Why it is not available: not installed, `--version` failed, or `--version` timed out (the hint says after how long). */
  unavailableReason?: 'notFound' | 'versionFailed' | 'versionTimedOut';
}

export interface Executor {
  readonly id: string;
  readonly displayName: string;
  readonly capabilities: ExecutorCapabilities;
  /** How it is driven, for `executor/list` and docs (e.g. `stream-json + control protocol`). */
  readonly protocol: string;
  /** The permission modes a profile or `session/start` may name (listed by `executor/list`); empty when the executor
   * takes none. Anything else is refused before a session starts. */
  readonly permissionModes: readonly string[];
  /** The mode used when none is given (null when the executor takes none). */
  readonly defaultPermissionMode: string | null;
  /** A mode outside `permissionModes` the executor also takes (OpenCode: a JSON permission object). */
  acceptsPermissionMode?(mode: string): boolean;
  /** Whether its CLI is installed, and its version. */
  detect(env?: Record<string, string>): Promise<ExecutorAvailability>;
  /** Refuse a profile this executor cannot run (throws OrchdError), so `session/start` fails before anything starts. */
  checkProfile?(profile: AgentProfile): void;
  /** The command line, environment and driver for one turn. */
  prepare(request: AgentTurnRequest, hooks: AgentHooks): AgentLaunch;
  /** A fresh normalizer for one execution's raw log (stdout, stderr and recorded stdin lines); `options` carry what the
   * log alone cannot say (the usage of the session's earlier turns). */
  createNormalizer(options?: NormalizerOptions): Normalizer;
  /** Where one finished turn ends in the agent's conversation, read from that execution's stdout lines (for fork and
   * reset as of a turn); executors with `fork` or `reset` implement it. */
  resumePoint?(stdoutLines: readonly string[]): string | null;
}
