// Which executor a session runs and how: the named profile from the project's settings, then the request's own
// overrides. The result is stored on the session, so follow-ups (and restarts) run the agent the same way.
import type { Profile, ResolvedProfile } from '../../protocol/executors.js';
import { OrchdError } from '../errors.js';

export interface SessionStartRequest {
  workspaceId: string;
  executor?: string | undefined;
  profile?: string | undefined;
  model?: string | undefined;
  permissionMode?: string | undefined;
  command?: string[] | undefined;
  forkFrom?: { sessionId: string; executionId?: string | undefined } | undefined;
  prompt: string;
  skipSetup: boolean;
}

/** The executor id and resolved profile for a `session/start` request, from the project's profiles with their real
 * `env` values (src/projects/store.ts `loadProjectProfiles`). */
export function resolveProfile(profiles: Readonly<Record<string, Profile>>, request: SessionStartRequest): { executorId: string; profile: ResolvedProfile } {
  const named = request.profile !== undefined && Object.hasOwn(profiles, request.profile) ? profiles[request.profile] : undefined;
  if (request.profile !== undefined && !named) {
    const known = Object.keys(profiles);
    throw new OrchdError('notFound', `Expected \`profile\` to name one of the project's profiles (${known.length ? known.map((k) => `\`${k}\``).join(', ') : 'it has none'}), got \`${request.profile}\``, {
      entity: 'profile',
      id: request.profile,
      field: 'profile',
    });
  }
  const executorId = request.executor ?? named?.executor;
  if (!executorId) throw OrchdError.invalidParams('executor', 'Expected `executor` or a `profile` that names one, got neither');
  if (named && request.executor !== undefined && request.executor !== named.executor) {
    throw OrchdError.invalidParams('executor', `Expected \`executor\` to match profile \`${request.profile}\` (\`${named.executor}\`), got \`${request.executor}\``);
  }
  return {
    executorId,
    profile: {
      name: request.profile ?? null,
      model: request.model ?? named?.model ?? null,
      permissionMode: request.permissionMode ?? named?.permissionMode ?? null,
      extraArgs: named?.extraArgs ?? [],
      env: named?.env ?? {},
      command: request.command ?? named?.command ?? null,
    },
  };
}
