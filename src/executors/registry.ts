// Every executor orchd knows, by id.
import { OrchdError } from '../errors.js';
import { claudeCode } from './claude-code.js';
import { codexExecutor } from './codex.js';
import { codexExecExecutor } from './codex-exec.js';
import { geminiExecutor } from './gemini.js';
import { acpProfileExecutor } from './acp/executor.js';
import { ampExecutor } from './amp.js';
import { cursorExecutor } from './cursor.js';
import { droidExecutor } from './droid.js';
import { opencodeExecutor } from './opencode.js';
import { qwenExecutor } from './qwen.js';
import { scriptedAgent } from './scripted-agent.js';
import type { ExecutorInfo } from '../../protocol/executors.js';
import type { Executor } from './types.js';
import { assertTurnArgv } from './argv.js';
import { checkProfileValues } from './profile-check.js';
import { guardNormalizer } from '../normalizers/guard.js';

/** The executor as the engine uses it: every profile and every turn passes the common checks first (the argv rule and
 * the declared permission modes), whatever the executor's own code does, so no executor can forget them; and every
 * raw-log line reaches its normalizer through the guard (over-long lines shrunk, a throw kept as a raw entry). */
function guarded(executor: Executor): Executor {
  return {
    ...executor,
    checkProfile(profile) {
      checkProfileValues(executor, profile);
      executor.checkProfile?.(profile);
    },
    prepare(request, hooks) {
      checkProfileValues(executor, request.profile);
      assertTurnArgv(request);
      return executor.prepare(request, hooks);
    },
    createNormalizer(options) {
      return guardNormalizer(executor.createNormalizer(options));
    },
  };
}

const EXECUTORS: readonly Executor[] = [
  scriptedAgent,
  claudeCode,
  codexExecutor,
  codexExecExecutor,
  geminiExecutor,
  qwenExecutor,
  opencodeExecutor,
  cursorExecutor,
  ampExecutor,
  droidExecutor,
  acpProfileExecutor,
].map(guarded);

/** All executors. */
export function listExecutors(): readonly Executor[] {
  return EXECUTORS;
}

/** The executor with this id, or notFound naming the known ones. */
export function getExecutor(id: string, field = 'executor'): Executor {
  const executor = EXECUTORS.find((e) => e.id === id);
  if (!executor) {
    throw new OrchdError('notFound', `Expected \`${field}\` to be one of ${EXECUTORS.map((e) => `\`${e.id}\``).join(', ')}, got \`${id}\``, { entity: 'executor', id, field });
  }
  return executor;
}

/** Every executor with its availability, probed in parallel (for `executor/list` and `orchd doctor`). */
export async function describeExecutors(env: Record<string, string | undefined> = process.env): Promise<ExecutorInfo[]> {
  return Promise.all(
    EXECUTORS.map(async (executor) => {
      const availability = await executor.detect(env as Record<string, string>).catch((error: Error) => ({ available: false, version: null, path: null, hint: error.message }));
      return {
        id: executor.id,
        displayName: executor.displayName,
        protocol: executor.protocol,
        ...availability,
        capabilities: { ...executor.capabilities },
        permissionModes: [...executor.permissionModes],
        defaultPermissionMode: executor.defaultPermissionMode,
      };
    }),
  );
}
