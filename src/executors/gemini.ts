// Gemini CLI (`gemini --acp`), driven over ACP: host-answered permission prompts, cancel, and follow-ups that
// `session/load` the agent's session in a new process (Gemini does not advertise `session/resume`).
//
// Two Gemini 0.61 behaviours break follow-ups, and both are worked around here (measured with the real CLI; see
// test/real-agents/gemini-driver.test.ts, which pins them):
//
// 1. Same-minute load. Gemini names a session file after the clock minute it was created in
//    (`~/.gemini/tmp/<project>/chats/session-YYYY-MM-DDTHH-MM-<first 8 of the id>.jsonl`), and `session/load` first
//    starts a fresh recording for the same id in a file named after the current minute. In the minute the session was
//    created that is the same file: the load writes an empty conversation over the history and fails with "No previous
//    sessions found for this project" (the history is gone for good). So before a load, when the session's file
//    carries the current minute and holds a model reply, the driver waits for the next minute (up to 60 s).
// 2. Startup cleanup. In a later minute that fresh recording is a second file with the same 8-character suffix and
//    no conversation. Every Gemini start runs its session-retention cleanup (on by default), which deletes files
//    without a resumable conversation *and every other file with the same suffix*: the second follow-up finds the
//    session deleted. Before a follow-up's process starts, orchd deletes those empty leftovers itself (only when the
//    session's real file is there). Turning the cleanup off is not possible from outside: Gemini reads system
//    settings and defaults only from root-owned files, and user or workspace settings belong to the user.
import { existsSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createAcpExecutor } from './acp/executor.js';
import { optionValue } from './argv.js';
import { resolveBinary, type BinarySpec } from './detect.js';
import { createGeminiNormalizer } from '../normalizers/gemini-stream-json.js';

const BINARY: BinarySpec = { name: 'gemini', overrideVariable: 'ORCHD_GEMINI_PATH', installHint: 'npm install -g @google/gemini-cli' };

/** Where Gemini keeps `.gemini/` for this environment. */
const geminiHomeOf = (env: Record<string, string>) => env.GEMINI_CLI_HOME || env.HOME || homedir();

/** Slack after the minute boundary, for clock skew between orchd and the agent's `new Date()`. */
const MINUTE_MARGIN_MS = 300;

/** The minute stamp Gemini puts in a session file name: `2026-12-03T06-50` (UTC). */
export function geminiMinuteStamp(at: Date): string {
  return at.toISOString().slice(0, 16).replace(/:/g, '-');
}

/** Whether a Gemini session file for `sessionId` named after `stamp` holds a model reply (so a load would wipe it). */
export function geminiSessionFileAt(geminiHome: string, sessionId: string, stamp: string): boolean {
  const tmp = join(geminiHome, '.gemini', 'tmp');
  let projects: string[];
  try {
    projects = readdirSync(tmp);
  } catch {
    return false;
  }
  const shortId = sessionId.slice(0, 8);
  for (const project of projects) {
    for (const extension of ['jsonl', 'json']) {
      const file = join(tmp, project, 'chats', `session-${stamp}-${shortId}.${extension}`);
      if (!existsSync(file)) continue;
      try {
        if (readFileSync(file, 'utf8').includes('"type":"gemini"')) return true;
      } catch {
        // unreadable: assume nothing to protect
      }
    }
  }
  return false;
}

/** Before `session/load`: when the session's file was created in the current minute, wait for the next one. */
export async function waitOutSessionMinute(sessionId: string, context: { env: Record<string, string>; signal: AbortSignal }, now: () => number = Date.now): Promise<void> {
  const at = now();
  if (!geminiSessionFileAt(geminiHomeOf(context.env), sessionId, geminiMinuteStamp(new Date(at)))) return;
  const waitMs = 60_000 - (at % 60_000) + MINUTE_MARGIN_MS;
  await new Promise<void>((resolve) => {
    if (context.signal.aborted) return resolve();
    const timer = setTimeout(done, waitMs);
    function done() {
      clearTimeout(timer);
      context.signal.removeEventListener('abort', done);
      resolve();
    }
    context.signal.addEventListener('abort', done, { once: true });
  });
}

/** The first line of a Gemini session file names its session. */
function sessionIdOfFile(text: string): string | null {
  try {
    const first = JSON.parse(text.slice(0, text.indexOf('\n') >= 0 ? text.indexOf('\n') : undefined)) as { sessionId?: unknown };
    return typeof first.sessionId === 'string' ? first.sessionId : null;
  } catch {
    return null;
  }
}

/** Before a follow-up's process starts: delete the empty recordings earlier loads left next to the session's file
 * (same 8-character suffix, no model reply), which Gemini's startup cleanup would otherwise delete together with the
 * session itself. Only when a file of the same session with a model reply exists. Returns the files removed. */
export function removeLoadLeftovers(geminiHome: string, sessionId: string): string[] {
  const tmp = join(geminiHome, '.gemini', 'tmp');
  const shortId = sessionId.slice(0, 8);
  const removed: string[] = [];
  let projects: string[];
  try {
    projects = readdirSync(tmp);
  } catch {
    return removed;
  }
  for (const project of projects) {
    const chats = join(tmp, project, 'chats');
    let names: string[];
    try {
      names = readdirSync(chats).filter((name) => name.startsWith('session-') && (name.endsWith(`-${shortId}.jsonl`) || name.endsWith(`-${shortId}.json`)));
    } catch {
      continue;
    }
    const files = names.flatMap((name) => {
      try {
        const text = readFileSync(join(chats, name), 'utf8');
        return sessionIdOfFile(text) === sessionId ? [{ path: join(chats, name), hasReply: text.includes('"type":"gemini"') }] : [];
      } catch {
        return [];
      }
    });
    if (!files.some((file) => file.hasReply)) continue;
    for (const file of files.filter((f) => !f.hasReply)) {
      try {
        unlinkSync(file.path);
        removed.push(file.path);
      } catch {
        // gone already
      }
    }
  }
  return removed;
}

const geminiAcpExecutor = createAcpExecutor({
  id: 'gemini',
  displayName: 'Gemini CLI',
  command(env) {
    const bin = resolveBinary(BINARY, env);
    return bin ? [bin, '--acp'] : null;
  },
  hint: `${BINARY.installHint} (or set ${BINARY.overrideVariable})`,
  // A worktree is a folder Gemini has never seen; untrusted folders get a restricted tool set.
  env: { GEMINI_CLI_TRUST_WORKSPACE: 'true' },
  beforeSpawn(request, env) {
    if (request.resumeAgentSessionId) removeLoadLeftovers(geminiHomeOf(env), request.resumeAgentSessionId);
  },
  turnArgs: (request) => (request.profile.model ? [optionValue('--model', request.profile.model, 'model')] : []),
  beforeLoad: waitOutSessionMinute,
  capabilities: { models: true },
});

/** Gemini over ACP; its logs are read by a normalizer that also reads Gemini's headless stream-json, so a log recorded
 * with `gemini -p … --output-format stream-json` reads as a conversation too. */
export const geminiExecutor = { ...geminiAcpExecutor, createNormalizer: createGeminiNormalizer };
