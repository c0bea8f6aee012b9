// Split a byte stream into Content-Length frames and insist every byte belongs to a valid JSON-RPC frame.
export interface FrameCheck {
  push(chunk: Buffer): void;
  /** Problems seen so far (bytes outside frames, bodies that are not JSON-RPC). Empty when stdout is clean. */
  readonly problems: string[];
  readonly frames: unknown[];
  /** Bytes received but not yet a complete frame. */
  pendingBytes(): number;
}

/** A checker that records each frame and every problem. */
export function frameCheck(): FrameCheck {
  let buffer = Buffer.alloc(0);
  const problems: string[] = [];
  const frames: unknown[] = [];
  return {
    problems,
    frames,
    pendingBytes: () => buffer.length,
    push(chunk) {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) {
          if (buffer.length && !'Content-Length:'.startsWith(buffer.subarray(0, Math.min(buffer.length, 15)).toString())) {
            problems.push(`bytes outside a frame: ${JSON.stringify(buffer.subarray(0, 80).toString())}`);
            buffer = Buffer.alloc(0);
          }
          return;
        }
        const header = buffer.subarray(0, end).toString('ascii');
        const match = /^Content-Length: (\d+)$/im.exec(header);
        if (!match || !header.split('\r\n').every((line) => /^[A-Za-z-]+: .+$/.test(line))) {
          problems.push(`bad header: ${JSON.stringify(header.slice(0, 80))}`);
          buffer = Buffer.alloc(0);
          return;
        }
        const length = Number(match[1]);
        if (buffer.length < end + 4 + length) return;
        const body = buffer.subarray(end + 4, end + 4 + length).toString('utf8');
        buffer = buffer.subarray(end + 4 + length);
        try {
          const message = JSON.parse(body) as { jsonrpc?: string };
          if (message.jsonrpc !== '2.0') problems.push(`frame is not JSON-RPC 2.0: ${body.slice(0, 80)}`);
          frames.push(message);
        } catch {
          problems.push(`frame body is not JSON: ${body.slice(0, 80)}`);
        }
      }
    },
  };
}

/** Encode one message (or raw text) as a frame. */
export function frame(body: unknown): Buffer {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${bytes.length}\r\n\r\n`, 'ascii'), bytes]);
}
