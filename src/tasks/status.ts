// The task status machine: todo → inProgress → inReview → done | cancelled, with reopening.
import type { TaskStatus } from '../../protocol/task.js';

export const TASK_TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  todo: ['inProgress', 'cancelled'],
  inProgress: ['todo', 'inReview', 'cancelled'],
  inReview: ['inProgress', 'done', 'cancelled'],
  done: ['inProgress'],
  cancelled: ['todo'],
};

/** True when a task may move from `from` to `to` (staying put is always allowed). */
export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return from === to || TASK_TRANSITIONS[from].includes(to);
}
