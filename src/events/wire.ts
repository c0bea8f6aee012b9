// An event as it travels: its JSON text built once (from the data JSON already made for the INSERT, or by SQLite from a
// row's columns on replay, never by parsing and re-serializing), and its UTF-8 bytes encoded once on first delivery
// and shared by every subscriber whose filter it passes.
import type { Event } from '../../protocol/events.js';
import type { EventScope } from './log.js';

export class WireEvent {
  private encoded: Buffer | undefined;
  private uses = 0;

  constructor(
    readonly seq: number,
    /** The event exactly as `JSON.stringify(event)` would write it. */
    readonly json: string,
  ) {}

  /** The JSON as UTF-8, encoded on first use and then shared. */
  get bytes(): Buffer {
    return (this.encoded ??= Buffer.from(this.json, 'utf8'));
  }

  /**
   * What a frame's body should be made from: the text the first time (encoded straight into the frame, no copy in
   * between), the shared bytes from the second subscriber on (encoded once, then only copied).
   */
  frameBody(): string | Buffer {
    if (this.encoded) return this.encoded;
    if (this.uses++ === 0) return this.json;
    return this.bytes;
  }

  /** The event as an object, parsed from its JSON: for transports that need objects, never on the hot path. */
  toEvent(): Event {
    return JSON.parse(this.json) as Event;
  }
}

/** An event this process just committed: it also carries what the in-memory filter reads (the ring holds these). */
export class LiveEvent extends WireEvent {
  constructor(
    seq: number,
    readonly kind: string,
    /** The ids the event is scoped to (shared by the events of one execution). */
    readonly scope: EventScope,
    json: string,
  ) {
    super(seq, json);
  }
}

/** The scope's ids as JSON members (`,"projectId":"…"` …) and the closing brace, kept per scope object: the events of
 * one execution share it. The ids it was made from are kept beside it. */
interface ScopeMembers {
  projectId: EventScope['projectId'];
  taskId: EventScope['taskId'];
  workspaceId: EventScope['workspaceId'];
  sessionId: EventScope['sessionId'];
  executionId: EventScope['executionId'];
  json: string;
}
const scopeMembers = new WeakMap<EventScope, ScopeMembers>();

function scopeJson(scope: EventScope): string {
  const cached = scopeMembers.get(scope);
  // A scope object changed after its JSON was kept is noticed (the ids are compared), never sent stale.
  if (
    cached &&
    cached.projectId === scope.projectId &&
    cached.taskId === scope.taskId &&
    cached.workspaceId === scope.workspaceId &&
    cached.sessionId === scope.sessionId &&
    cached.executionId === scope.executionId
  ) {
    return cached.json;
  }
  let json = '';
  if (scope.projectId) json += `,"projectId":${JSON.stringify(scope.projectId)}`;
  if (scope.taskId) json += `,"taskId":${JSON.stringify(scope.taskId)}`;
  if (scope.workspaceId) json += `,"workspaceId":${JSON.stringify(scope.workspaceId)}`;
  if (scope.sessionId) json += `,"sessionId":${JSON.stringify(scope.sessionId)}`;
  if (scope.executionId) json += `,"executionId":${JSON.stringify(scope.executionId)}`;
  json += '}';
  const { projectId, taskId, workspaceId, sessionId, executionId } = scope;
  scopeMembers.set(scope, { projectId, taskId, workspaceId, sessionId, executionId, json });
  return json;
}

/**
 * The JSON of an event from its parts, key order as in `Event` (seq, kind, at, data, then the scope ids that are set),
 * so it equals `JSON.stringify` of the event object. `dataJson` must itself be JSON text.
 */
export function eventJson(seq: number, kind: string, at: string, dataJson: string, scope: EventScope): string {
  return eventJsonFrom(seq, eventHead(kind, at), dataJson, scope);
}

/** `,"kind":…,"at":…,"data":` of an event: the part between its seq and its data. */
export function eventHead(kind: string, at: string): string {
  return `,"kind":${JSON.stringify(kind)},"at":${JSON.stringify(at)},"data":`;
}

/** `eventJson` with the head made by `eventHead` (once for the events of one kind appended together). */
export function eventJsonFrom(seq: number, head: string, dataJson: string, scope: EventScope): string {
  return `{"seq":${seq}${head}${dataJson}${scopeJson(scope)}`;
}
