// Ids as a person types them: the whole id, any unique prefix of it (`ws_01m8xd8k`, the type prefix optional, as git
// takes short commit hashes), or the 8-character short form that branch and worktree names carry (`2xkzzfrs` in
// `orchd/2xkzzfrs-say-hi`). Ambiguous or unknown input is one line naming the candidates.
import type { Session } from '../../protocol/execution.js';
import type { Workspace } from '../../protocol/workspace.js';
import type { DaemonClient } from './local-daemon.js';

/** A refusal in the CLI's words (an unknown or ambiguous id …): one line on stderr, exit code 1. */
export class CliError extends Error {}

/** One id that input may name, with a few words to tell it apart when several match. */
export interface IdCandidate {
  id: string;
  /** e.g. the workspace's branch; shown when the input is ambiguous. */
  label?: string;
  /** What it is, for messages: `workspace`, `session`. */
  kind: string;
}

/** The length of the short form in branch and worktree names (src/util/ids.ts shortId). */
const SHORT_FORM = 8;
/** At most this many candidates are named when the input is ambiguous. */
const LISTED = 5;

/** The candidates `input` may name: the id itself if present, else every id it is a prefix of, or whose short form it is. */
export function matchIds<T extends IdCandidate>(input: string, candidates: readonly T[]): T[] {
  const typed = input.trim().toLowerCase();
  if (!typed) return [];
  const exact = candidates.filter((c) => c.id === typed);
  if (exact.length) return exact;
  return candidates.filter((candidate) => {
    const body = candidate.id.slice(candidate.id.indexOf('_') + 1);
    if (candidate.id.startsWith(typed)) return true;
    if (typed.includes('_')) return false;
    return body.startsWith(typed) || (typed.length === SHORT_FORM && body.endsWith(typed));
  });
}

/** The one candidate `input` names, or a CliError saying that none or several match. */
export function resolveId<T extends IdCandidate>(input: string, candidates: readonly T[], what: string, hint = '`orchd ls --all` lists them'): T {
  const matches = matchIds(input, candidates);
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new CliError(`No ${what} matches \`${input}\` (${hint})`);
  const named = matches.slice(0, LISTED).map((c) => `${c.id}${c.label ? ` (${c.label})` : ''}`);
  const more = matches.length > LISTED ? ` and ${matches.length - LISTED} more` : '';
  throw new CliError(`\`${input}\` is ambiguous: it matches ${matches.length} ${what}s: ${named.join(', ')}${more}; type more of the id`);
}

/**
 * The shortest prefix length that tells each of `shown` apart from every id in `all`, the same for every row (as
 * `git log --oneline` abbreviates), and never shorter than the type prefix plus `minimumBody` characters.
 */
export function abbreviationLength(shown: readonly string[], all: readonly string[], minimumBody = 8): number {
  const sorted = [...new Set(all)].sort();
  let length = 0;
  for (const id of shown) {
    const at = sorted.indexOf(id);
    const neighbours = [sorted[at - 1], sorted[at + 1]].filter((n): n is string => n !== undefined);
    let needed = id.indexOf('_') + 1 + minimumBody;
    for (const other of neighbours) {
      let common = 0;
      while (common < id.length && id[common] === other[common]) common++;
      needed = Math.max(needed, common + 1);
    }
    length = Math.max(length, Math.min(id.length, needed));
  }
  return length;
}

function workspaceCandidate(workspace: Workspace): IdCandidate & { workspace: Workspace } {
  return { id: workspace.id, label: workspace.branch, kind: 'workspace', workspace };
}

/** The workspace `input` names (any state, archived included). */
export async function resolveWorkspace(daemon: DaemonClient, input: string): Promise<Workspace> {
  const { workspaces } = await daemon.request('workspace/list', {});
  return resolveId(input, workspaces.map(workspaceCandidate), 'workspace').workspace;
}

/** The session `input` names: a session id, or a workspace id meaning that workspace's latest session. */
export async function resolveSession(daemon: DaemonClient, input: string): Promise<{ session: Session; workspace: Workspace }> {
  const [{ workspaces }, { sessions }] = await Promise.all([daemon.request('workspace/list', {}), daemon.request('session/list', {})]);
  const typed = input.trim().toLowerCase();
  const candidates: (IdCandidate & { workspace?: Workspace; session?: Session })[] = [];
  if (!typed.startsWith('ws_')) for (const session of sessions) candidates.push({ id: session.id, label: `${session.executor} in ${session.workspaceId}`, kind: 'session', session });
  if (!typed.startsWith('ses_')) candidates.push(...workspaces.map(workspaceCandidate));
  const what = typed.startsWith('ws_') ? 'workspace' : typed.startsWith('ses_') ? 'session' : 'session or workspace';
  const found = resolveId(input, candidates, what);
  if (found.session) {
    const workspace = workspaces.find((w) => w.id === found.session!.workspaceId) ?? (await daemon.request('workspace/get', { workspaceId: found.session.workspaceId })).workspace;
    return { session: found.session, workspace };
  }
  const workspace = found.workspace!;
  // session/list is oldest first: the latest session is the last of the workspace's.
  const latest = sessions.filter((s) => s.workspaceId === workspace.id).at(-1);
  if (!latest) throw new CliError(`Workspace \`${workspace.id}\` has no session yet`);
  return { session: latest, workspace };
}
