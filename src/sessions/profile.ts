// Which executor a session runs and how: the named profile from the effective configuration (the project's settings
// over the repositories' orchd.json over the user's file), then the request's own overrides. The result is stored on
// the session, so follow-ups (and restarts) run the agent the same way; `env` references stay references in the
// stored profile and are resolved from orchd's environment at every agent turn.
import type { Profile } from '../../protocol/executors.js';
import { OrchdError } from '../errors.js';
import type { StoredProfile } from '../executors/secrets.js';

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

/** The executor id and resolved profile for a `session/start` request, from the effective profiles with their real
 * `env` values (src/config/service.ts `effectiveConfig`). */
export function resolveProfile(profiles: Readonly<Record<string, Profile>>, request: SessionStartRequest): { executorId: string; profile: StoredProfile } {
  const named = request.profile !== undefined && Object.hasOwn(profiles, request.profile) ? profiles[request.profile] : undefined;
  if (request.profile !== undefined && !named) {
    const known = Object.keys(profiles);
    throw new OrchdError('notFound', `Expected \`profile\` to name one of the profiles configured for the project (${known.length ? known.map((k) => `\`${k}\``).join(', ') : 'it has none'}), got \`${request.profile}\``, {
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
