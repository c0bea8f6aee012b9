// Every deadline the tests wait under, named in one place. A bound is how long a test waits for something that must
// happen (a reply, an event, an exit) before it fails naming what it waited for; it is never a performance assertion,
// so each is generous: the whole suite must pass on a 2-CPU machine with two busy loops beside it. On a slower machine
// still, ORCHD_TEST_SLOWDOWN=<factor> (a number >= 1, default 1) multiplies every bound; nothing else changes.
// docs/testing.md explains how the suite is organised and how long it takes.

/** The factor every bound is multiplied by: ORCHD_TEST_SLOWDOWN when it is a number >= 1, else 1. */
export const SLOWDOWN = slowdownFactor(process.env.ORCHD_TEST_SLOWDOWN);

/** Parse ORCHD_TEST_SLOWDOWN; anything but a finite number >= 1 is an error, so a typo cannot shorten the bounds. */
export function slowdownFactor(value: string | undefined): number {
  if (value === undefined || value === '') return 1;
  const factor = Number(value);
  if (!Number.isFinite(factor) || factor < 1) throw new Error(`Expected \`ORCHD_TEST_SLOWDOWN\` to be a number >= 1, got \`${value}\``);
  return factor;
}

const scaled = (ms: number) => Math.round(ms * SLOWDOWN);

// orchd itself (in-process or the built binary over stdio) with scripted agents and fake CLIs.

/** One JSON-RPC request to orchd to be answered (most take milliseconds; a cold start can take seconds). */
export const REQUEST_MS = scaled(60_000);
/** One request that pages or scans a lot (execution/logs of a flood, execution/list after one). */
export const HEAVY_REQUEST_MS = scaled(300_000);
/** A notification, an event, a file or a line that the daemon, a script or a fake agent produces next. */
export const EVENT_MS = scaled(60_000);
/** A session's chain with the scripted agent (setup scripts, the agent's turns, auto-commit, clean-up) to finish. */
export const CHAIN_MS = scaled(120_000);
/** A process or process group to be gone after it was stopped, killed or its host went away. */
export const EXIT_MS = scaled(30_000);
/** A one-shot `orchd` command (run, merge, doctor) to exit. */
export const CLI_MS = scaled(120_000);
/** A scripted agent flooding output through the daemon until the output cap ends it. */
export const FLOOD_MS = scaled(600_000);

// The real agent CLIs (test/real-agents/): each turn starts a CLI of 50-400 MB, which takes seconds when idle and
// has taken over 40 s under load.

/** One real CLI turn, from spawn until it exits; includes Gemini's wait of up to a minute before `session/load`. */
export const AGENT_TURN_MS = scaled(300_000);
/** A real CLI to reach a point inside its turn: call the model, stream an answer, ask for a permission. */
export const AGENT_EVENT_MS = scaled(180_000);
/** How many 100 ms deltas a `[mock:slow n=… ms=100]` answer needs to outlast a turn's deadline twice over, so that
 * only an interrupt or a stop can end the turn in time (a test then never depends on how fast the CLI reacts). */
export const OUTLASTING_SLOW_DELTAS = Math.ceil((2 * AGENT_TURN_MS) / 100);
/** A real agent's session through orchd (setup, the turn, auto-commit) to go idle. */
export const AGENT_SESSION_MS = scaled(360_000);
/** A real-agent test file's suite, not counting the wait for the real-agent slot (support/slot.ts). */
export const AGENT_SUITE_MS = scaled(3 * 3_600_000);
/** `npm install` of one pinned CLI, and waiting for another process's install of it. */
export const INSTALL_MS = scaled(15 * 60_000);
