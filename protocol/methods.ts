// The one table of methods and notifications: name -> direction, params schema, result schema, what it emits.
// Adding a method: declare its schemas in protocol/<domain>.ts, add a row here, add its handler in
// src/server/handlers/<domain>.ts, test it, then `npm run generate` to refresh schema.json and docs/protocol.md.
import * as v from 'valibot';
import type { ErrorKind } from './errors.js';
import { NoParams } from './common.js';
import {
  EventNotification,
  EventsSubscribeParams,
  EventsSubscribeResult,
  EventsUnsubscribeParams,
  EventsUnsubscribeResult,
  type EventKind,
} from './events.js';
import { CancelParams, InitializeParams, InitializeResult, ProgressParams } from './lifecycle.js';
import {
  Project,
  ProjectCreateParams,
  ProjectDeleteParams,
  ProjectDeleteResult,
  ProjectGetParams,
  ProjectListParams,
  ProjectListResult,
  ProjectUpdateParams,
} from './project.js';
import { Task, TaskCreateParams, TaskDeleteParams, TaskDeleteResult, TaskGetParams, TaskListParams, TaskListResult, TaskUpdateParams } from './task.js';

type AnySchema = v.GenericSchema;

export type Direction = 'clientToServer' | 'serverToClient';

export interface RequestSpec<P extends AnySchema = AnySchema, R extends AnySchema = AnySchema, D extends Direction = Direction> {
  readonly type: 'request';
  readonly direction: D;
  readonly params: P;
  readonly result: R;
  readonly summary: string;
  readonly emits: readonly EventKind[];
  readonly errors: readonly ErrorKind[];
  /** Allowed before `initialize` completes. */
  readonly beforeInitialize?: boolean;
}

export interface NotificationSpec<P extends AnySchema = AnySchema, D extends Direction = Direction> {
  readonly type: 'notification';
  readonly direction: D;
  readonly params: P;
  readonly summary: string;
}

function request<P extends AnySchema, R extends AnySchema, D extends Direction = 'clientToServer'>(
  spec: Omit<RequestSpec<P, R, D>, 'type' | 'direction' | 'emits' | 'errors'> & { direction?: D; emits?: readonly EventKind[]; errors?: readonly ErrorKind[] },
): RequestSpec<P, R, D> {
  return { type: 'request', direction: 'clientToServer' as D, emits: [], errors: [], ...spec };
}

function notification<P extends AnySchema, D extends Direction>(spec: Omit<NotificationSpec<P, D>, 'type'>): NotificationSpec<P, D> {
  return { type: 'notification', ...spec };
}

export const METHODS = {
  initialize: request({
    params: InitializeParams,
    result: InitializeResult,
    summary: 'Negotiate the protocol version and capabilities, and open the data directory. Must be the first request',
    errors: ['alreadyInitialized', 'protocolVersionUnsupported', 'dataDirUnavailable'],
    beforeInitialize: true,
  }),
  initialized: notification({ direction: 'clientToServer', params: NoParams, summary: 'The client has processed the `initialize` result' }),
  shutdown: request({
    params: NoParams,
    result: v.null(),
    summary: 'Stop everything orchd started and close the database; after it only `exit` is accepted',
    beforeInitialize: true,
  }),
  exit: notification({ direction: 'clientToServer', params: NoParams, summary: 'Exit the process: code 0 after `shutdown`, 1 without it' }),
  '$/cancelRequest': notification({ direction: 'clientToServer', params: CancelParams, summary: 'Cancel a request in flight; its handler sees an aborted signal and the request fails with `cancelled`' }),
  '$/progress': notification({ direction: 'serverToClient', params: ProgressParams, summary: 'Progress of a long request that carried a `progressToken`' }),

  'project/create': request({
    params: ProjectCreateParams,
    result: Project,
    summary: 'Create a project from one or more git repositories',
    emits: ['project/created'],
    errors: ['pathNotFound', 'notAGitRepository', 'alreadyExists'],
  }),
  'project/list': request({ params: ProjectListParams, result: ProjectListResult, summary: 'List projects, oldest first' }),
  'project/get': request({ params: ProjectGetParams, result: Project, summary: 'Get one project', errors: ['notFound'] }),
  'project/update': request({
    params: ProjectUpdateParams,
    result: Project,
    summary: "Change a project's name, repositories, scripts, copied files or settings; omitted fields keep their value",
    emits: ['project/updated'],
    errors: ['notFound', 'pathNotFound', 'notAGitRepository', 'alreadyExists', 'invalidState'],
  }),
  'project/delete': request({
    params: ProjectDeleteParams,
    result: ProjectDeleteResult,
    summary: 'Delete a project and its tasks. The repositories on disk are not touched',
    emits: ['task/deleted', 'project/deleted'],
    errors: ['notFound'],
  }),

  'task/create': request({ params: TaskCreateParams, result: Task, summary: 'Create a task in `todo`', emits: ['task/created'], errors: ['notFound'] }),
  'task/list': request({ params: TaskListParams, result: TaskListResult, summary: 'List tasks, oldest first, optionally for one project and some statuses', errors: ['notFound'] }),
  'task/get': request({ params: TaskGetParams, result: Task, summary: 'Get one task', errors: ['notFound'] }),
  'task/update': request({
    params: TaskUpdateParams,
    result: Task,
    summary: "Change a task's title, description or status (see the status machine); omitted fields keep their value",
    emits: ['task/updated'],
    errors: ['notFound', 'invalidTransition'],
  }),
  'task/delete': request({ params: TaskDeleteParams, result: TaskDeleteResult, summary: 'Delete a task', emits: ['task/deleted'], errors: ['notFound'] }),

  'events/subscribe': request({
    params: EventsSubscribeParams,
    result: EventsSubscribeResult,
    summary: 'Subscribe to the event log: events after `sinceSeq` from the log, then live events, in order, with no gap and no duplicate',
    errors: ['invalidState'],
  }),
  'events/unsubscribe': request({ params: EventsUnsubscribeParams, result: EventsUnsubscribeResult, summary: 'End a subscription', errors: ['notFound'] }),
  'events/event': notification({ direction: 'serverToClient', params: EventNotification, summary: 'One event for one subscription, in seq order' }),
} as const;

export type Methods = typeof METHODS;
export type MethodName = keyof Methods;
export type ClientRequestName = {
  [K in MethodName]: Methods[K] extends RequestSpec<AnySchema, AnySchema, 'clientToServer'> ? K : never;
}[MethodName];
export type ClientNotificationName = {
  [K in MethodName]: Methods[K] extends NotificationSpec<AnySchema, 'clientToServer'> ? K : never;
}[MethodName];
export type ParamsOf<K extends MethodName> = v.InferOutput<Methods[K]['params']>;
export type ResultOf<K extends ClientRequestName> = v.InferInput<Methods[K]['result']>;
