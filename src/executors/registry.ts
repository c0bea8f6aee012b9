// Every executor orchd knows, by id.
import { OrchdError } from '../errors.js';
import { scriptedAgent } from './scripted-agent.js';
import type { Executor } from './types.js';

const EXECUTORS: readonly Executor[] = [scriptedAgent];

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
