// Map engine outcomes to JSON-RPC errors: OrchdError kinds through the protocol table, valibot issues to -32602,
// anything unexpected to -32603 with the stack on stderr only.
import * as v from 'valibot';
import { ERRORS, type ErrorKind } from '../../protocol/errors.js';
import { OrchdError } from '../errors.js';
import type { Logger } from '../log/logger.js';

/** A JSON-RPC error response as a throwable: what a handler's failure becomes, and what a client's error answer to a
 * request orchd sent (approval/request) is rejected with. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'RpcError';
  }

  /** The `error` member of the response. */
  toJson(): { code: number; message: string; data?: unknown } {
    return this.data === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, data: this.data };
  }
}

/** An RpcError with `data.kind` set. */
export function rpcError(kind: ErrorKind, message: string, details: Record<string, unknown> = {}): RpcError {
  return new RpcError(ERRORS[kind].code, message, { ...details, kind });
}

/** A -32602 error naming the first bad field, with every issue in `data`. */
export function invalidParamsError(method: string, issues: [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]]): RpcError {
  const described = issues.map(describeIssue);
  const extra = described.length > 1 ? ` (and ${described.length - 1} more)` : '';
  return rpcError('invalidParams', `Invalid params for \`${method}\`: ${described[0]!.message}${extra}`, {
    method,
    issues: v.flatten(issues),
    problems: described,
  });
}

interface DescribedIssue {
  path: string;
  message: string;
}

/** One issue as a sentence that names the field and what was received. */
export function describeIssue(issue: v.BaseIssue<unknown>): DescribedIssue {
  const path = v.getDotPath(issue) ?? '';
  const field = path ? `\`${path}\`` : '`params`';
  if (issue.type === 'strict_object' && issue.expected === 'never') {
    return { path, message: `Expected no key ${field}, got ${issue.received}` };
  }
  if (issue.kind === 'schema') {
    if (issue.received === 'undefined' && path) return { path, message: `Expected ${field} to be ${issue.expected}, got nothing` };
    return { path, message: `Expected ${field} to be ${issue.expected}, got ${issue.received}` };
  }
  const rule = issue.type.replace(/_/g, ' ');
  return { path, message: `Expected ${field} to satisfy ${rule} ${issue.expected ?? ''}, got ${issue.received}`.replace(/\s+,/, ',') };
}

/** Convert anything a handler threw into an RpcError. */
export function toResponseError(error: unknown, context: { method: string; cancelled: boolean; logger: Logger }): RpcError {
  if (error instanceof RpcError) return error;
  if (error instanceof OrchdError) return rpcError(error.kind, error.message, error.details);
  if (context.cancelled) return rpcError('cancelled', `Request \`${context.method}\` was cancelled`);
  context.logger.error('request failed unexpectedly', { method: context.method, error });
  const message = error instanceof Error ? error.message : String(error);
  return rpcError('internal', `Internal error in \`${context.method}\`: ${message}`);
}
