// stdout belongs to the protocol writer. Everything else that writes to process.stdout (console.log, a stray
// library) is sent to stderr instead, and the writer gets a view of stdout that alone keeps the original write.
import type { Writable } from 'node:stream';
import { writeStderr } from '../log/stderr-sink.js';

let guarded: Writable | undefined;

/** Redirect stdout writes to stderr and return the one stream that still reaches the real stdout. */
export function guardStdout(): Writable {
  if (guarded) return guarded;
  const stdout = process.stdout;
  const realWrite = stdout.write.bind(stdout);
  let warned = false;
  stdout.write = ((chunk: Uint8Array | string, encodingOrCallback?: unknown, callback?: unknown) => {
    if (!warned) {
      warned = true;
      writeStderr(`${JSON.stringify({ t: new Date().toISOString(), level: 'warn', msg: 'stdout write redirected to stderr' })}\n`);
    }
    writeStderr(chunk);
    const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
    return true;
  }) as typeof stdout.write;
  // Same stream, same listeners and buffer (inherited), but its own `write`: no extra layer on the hot path.
  guarded = Object.create(stdout, { write: { value: realWrite } }) as Writable;
  return guarded;
}

/** Wait (bounded) until everything written to stdout has been flushed. */
export async function flushProtocolOut(timeoutMs = 2000): Promise<void> {
  const stdout = process.stdout;
  if (!guarded || stdout.writableLength === 0) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    stdout.once('drain', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
