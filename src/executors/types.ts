import type { Normalizer } from '../normalizers/types.js';

// The one interface every agent executor implements. The engine spawns what `buildCommand` returns, watches the
// output lines through `observeLine`, and stops it with the interrupt the executor knows, then signals.

export interface ExecutorCapabilities {
  resume: boolean;
  fork: boolean;
  reset: boolean;
  approvals: boolean;
  images: boolean;
  models: boolean;
  mcp: boolean;
  /** The agent can be asked to stop its turn (an interrupt message) before signals are sent. */
  gracefulStop: boolean;
}

export interface AgentRunRequest {
  cwd: string;
  prompt: string;
  /** The agent's own session id to resume, for follow-ups. */
  resumeAgentSessionId: string | null;
  env: Record<string, string>;
}

export interface AgentCommand {
  argv: string[];
  env: Record<string, string>;
  /** Bytes written to the agent's stdin at start; stdin is closed after them unless `keepStdinOpen`. */
  input: string | null;
  keepStdinOpen: boolean;
}

export interface LineObservation {
  /** The agent's own session id, when this line reveals it. */
  agentSessionId?: string;
  /** The agent finished its turn (for agents that do not exit on their own). */
  turnEnded?: boolean;
}

export interface ExecutorAvailability {
  available: boolean;
  version: string | null;
  path: string | null;
  hint: string | null;
}

export interface Executor {
  readonly id: string;
  readonly displayName: string;
  readonly capabilities: ExecutorCapabilities;
  /** Whether its CLI is installed, and its version. */
  detect(): Promise<ExecutorAvailability>;
  /** The command line, environment and initial input for one turn. */
  buildCommand(request: AgentRunRequest): AgentCommand;
  /** Look at one stdout line as it arrives. */
  observeLine(line: string): LineObservation | null;
  /** What to write to stdin to interrupt the turn gracefully, or null. */
  interruptInput(): string | null;
  /** A fresh normalizer for one execution's output. */
  createNormalizer(): Normalizer;
}
