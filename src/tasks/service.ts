// Task operations: create, list, get, update (with the status machine), delete.
import type { Kysely } from 'kysely';
import type { Task, TaskCreateParams, TaskStatus, TaskUpdateParams } from '../../protocol/task.js';
import type { Engine } from '../engine.js';
import { OrchdError } from '../errors.js';
import type { Emit } from '../events/unit-of-work.js';
import { transact } from '../events/unit-of-work.js';
import type { Database, TasksTable } from '../store/schema.js';
import { newId } from '../util/ids.js';
import { deleteWorkspacesOf, workspaceCreatedMeanwhile } from '../workspaces/cascade.js';
import { canTransition, TASK_TRANSITIONS } from './status.js';

function taskFromRow(row: TasksTable): Task {
  return {
    id: row.id,
    projectId: row.project_id,
    title: row.title,
    description: row.description,
    status: row.status as TaskStatus,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

async function loadTask(db: Kysely<Database>, taskId: string): Promise<Task | undefined> {
  const row = await db.selectFrom('tasks').selectAll().where('id', '=', taskId).executeTakeFirst();
  return row ? taskFromRow(row) : undefined;
}

async function requireProject(db: Kysely<Database>, projectId: string): Promise<void> {
  const row = await db.selectFrom('projects').select('id').where('id', '=', projectId).executeTakeFirst();
  if (!row) throw OrchdError.notFound('project', projectId);
}

/** Create a task in `todo`. */
export async function createTask(engine: Engine, params: TaskCreateParams): Promise<Task> {
  return transact(engine, async (trx, emit) => {
    await requireProject(trx, params.projectId);
    const now = new Date().toISOString();
    const task: Task = {
      id: newId('tsk'),
      projectId: params.projectId,
      title: params.title,
      description: params.description,
      status: 'todo',
      createdAt: now,
      updatedAt: now,
    };
    await trx
      .insertInto('tasks')
      .values({ id: task.id, project_id: task.projectId, title: task.title, description: task.description, status: task.status, created_at: now, updated_at: now })
      .execute();
    emit('task/created', { task }, { projectId: task.projectId, taskId: task.id });
    return task;
  });
}

/** Tasks, oldest first, optionally for one project and some statuses. */
export async function listTasks(engine: Engine, filter: { projectId?: string | undefined; status?: readonly TaskStatus[] | undefined }): Promise<Task[]> {
  const db = engine.store.db;
  if (filter.projectId) await requireProject(db, filter.projectId);
  let query = db.selectFrom('tasks').selectAll();
  if (filter.projectId) query = query.where('project_id', '=', filter.projectId);
  if (filter.status && filter.status.length) query = query.where('status', 'in', [...filter.status]);
  const rows = await query.orderBy('created_at').orderBy('id').execute();
  return rows.map(taskFromRow);
}

/** One task, or a notFound error. */
export async function getTask(engine: Engine, taskId: string): Promise<Task> {
  const task = await loadTask(engine.store.db, taskId);
  if (!task) throw OrchdError.notFound('task', taskId);
  return task;
}

/** Apply changes to a task inside an open transaction; the engine's own status moves use this too. */
export async function updateTaskIn(trx: Kysely<Database>, emit: Emit, params: TaskUpdateParams): Promise<Task> {
  const before = await loadTask(trx, params.taskId);
  if (!before) throw OrchdError.notFound('task', params.taskId);
  const status = params.status ?? before.status;
  if (!canTransition(before.status, status)) throw OrchdError.invalidTransition('task', before.status, status, TASK_TRANSITIONS[before.status]);
  const task: Task = {
    ...before,
    title: params.title ?? before.title,
    description: params.description ?? before.description,
    status,
    updatedAt: new Date().toISOString(),
  };
  if (task.title === before.title && task.description === before.description && task.status === before.status) return before;
  await trx
    .updateTable('tasks')
    .set({ title: task.title, description: task.description, status: task.status, updated_at: task.updatedAt })
    .where('id', '=', task.id)
    .execute();
  const data = status !== before.status ? { task, previousStatus: before.status } : { task };
  emit('task/updated', data, { projectId: task.projectId, taskId: task.id });
  return task;
}

/** Change a task's title, description or status. */
export async function updateTask(engine: Engine, params: TaskUpdateParams): Promise<Task> {
  return transact(engine, (trx, emit) => updateTaskIn(trx, emit, params));
}

/** Delete a task: its workspaces first (as `workspace/delete` does), then the task. */
export async function deleteTask(engine: Engine, params: { taskId: string; force: boolean; deleteBranches: boolean }): Promise<void> {
  const { taskId } = params;
  await getTask(engine, taskId);
  await deleteWorkspacesOf(engine, { taskId }, { force: params.force, deleteBranches: params.deleteBranches, reason: 'taskDeleted' });
  await transact(engine, async (trx, emit) => {
    const task = await loadTask(trx, taskId);
    if (!task) throw OrchdError.notFound('task', taskId);
    const left = await trx.selectFrom('workspaces').select('id').where('task_id', '=', taskId).executeTakeFirst();
    if (left) throw workspaceCreatedMeanwhile('task', taskId, left.id);
    await trx.deleteFrom('tasks').where('id', '=', taskId).execute();
    emit('task/deleted', { taskId, projectId: task.projectId }, { projectId: task.projectId, taskId });
  });
}
