// Codex (`codex app-server`), driven over its JSON-RPC protocol on stdio: host-answered approvals for commands and
// file changes, `turn/interrupt` for a graceful stop, and follow-ups that `thread/resume` the thread in a new process.
// `codex exec --json` is the documented fallback; it has no approval channel, so orchd does not drive it, but the
// normalizer reads its lines too.
import { createCodexNormalizer } from '../normalizers/codex-app-server.js';
import { packageInfo } from '../util/package-info.js';
import { CODEX_APPROVAL_POLICIES, createCodexAppServerDriver } from './codex-app-server.js';
import { detectBinary, requireBinary, type BinarySpec } from './detect.js';
import type { AgentTurnRequest, Executor } from './types.js';

const BINARY: BinarySpec = { name: 'codex', overrideVariable: 'ORCHD_CODEX_PATH', installHint: 'npm install -g @openai/codex' };

/** The argv after the program: the app-server on stdio, without plugin sync (it only warns offline). */
export function codexArguments(request: AgentTurnRequest): string[] {
  return ['app-server', '--disable', 'plugins', ...request.profile.extraArgs];
}

export const codexExecutor: Executor = {
  id: 'codex',
  displayName: 'Codex',
  capabilities: { resume: true, fork: false, reset: false, approvals: true, images: false, models: true, mcp: false, gracefulStop: true },
  protocol: 'codex app-server (JSON-RPC over stdio)',
  // Codex's approval policies; `on-failure`, which Codex dropped, is still taken (and read as `on-request`).
  permissionModes: [...CODEX_APPROVAL_POLICIES, 'on-failure'],
  defaultPermissionMode: 'untrusted',
  detect: (env) => detectBinary(BINARY, env ?? process.env),
  prepare(request, hooks) {
    // The request's environment decides, as it is the one the process gets; orchd's own is the fallback.
    const bin = requireBinary(BINARY, 'codex', request.env);
    return {
      argv: [bin, ...codexArguments(request)],
      env: request.env,
      driver: createCodexAppServerDriver({ request, hooks, clientVersion: packageInfo().version }),
    };
  },
  createNormalizer: createCodexNormalizer,
};
