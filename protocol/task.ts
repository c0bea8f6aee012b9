// Tasks: a unit of work in a project, moving todo → inProgress → inReview → done | cancelled.
import * as v from 'valibot';
import { Id, Ok, Timestamp } from './common.js';

export const TASK_STATUSES = ['todo', 'inProgress', 'inReview', 'done', 'cancelled'] as const;
export const TaskStatus = v.picklist(TASK_STATUSES);

export const Task = v.strictObject({
  id: Id,
  projectId: Id,
  title: v.string(),
  description: v.string(),
  status: TaskStatus,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const Title = v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(500));
const Description = v.pipe(v.string(), v.maxLength(100_000));

export const TaskCreateParams = v.strictObject({
  projectId: Id,
  title: Title,
  description: v.optional(Description, ''),
});

export const TaskUpdateParams = v.strictObject({
  taskId: Id,
  title: v.optional(Title),
  description: v.optional(Description),
  status: v.optional(TaskStatus),
});

export const TaskGetParams = v.strictObject({ taskId: Id });
export const TaskDeleteParams = v.strictObject({
  taskId: Id,
  force: v.optional(
    v.pipe(v.boolean(), v.description("Delete even when a workspace's uncommitted changes would be lost or a session runs in one (it is stopped first)")),
    false,
  ),
  deleteBranches: v.optional(v.pipe(v.boolean(), v.description("Also delete the workspaces' branches")), false),
});
export const TaskListParams = v.optional(
  v.nullable(
    v.strictObject({
      projectId: v.optional(Id),
      status: v.optional(v.array(TaskStatus)),
    }),
  ),
);
export const TaskListResult = v.strictObject({ tasks: v.array(Task) });
export const TaskDeleteResult = Ok;
/** The result of `task/create`, `task/get` and `task/update`. */
export const TaskResult = v.strictObject({ task: Task });

export type Task = v.InferOutput<typeof Task>;
export type TaskStatus = v.InferOutput<typeof TaskStatus>;
export type TaskCreateParams = v.InferOutput<typeof TaskCreateParams>;
export type TaskUpdateParams = v.InferOutput<typeof TaskUpdateParams>;
