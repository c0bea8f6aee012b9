// A JSON-RPC error response as a throwable: what a handler's failure becomes (rpc-errors.ts), and what a client's
// error answer to a request orchd sent (approval/request) is rejected with.
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
