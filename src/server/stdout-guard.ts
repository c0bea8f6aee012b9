// stdout belongs to the protocol writer. Everything else that writes to process.stdout (console.log, a stray
// library) is sent to stderr instead, and the writer gets a stream that alone reaches the real stdout.
import { Writable } from 'node:stream';

let guarded: Writable | undefined;

/** Redirect stdout writes to stderr and return the one stream that still reaches the real stdout. */
export function guardStdout(): Writable {
  if (guarded) return guarded;
  const stdout = process.stdout;
  const realWrite = stdout.write.bind(stdout) as (chunk: Uint8Array | string, callback: (error?: Error | null) => void) => boolean;
  let warned = false;
  stdout.write = ((chunk: Uint8Array | string, encodingOrCallback?: unknown, callback?: unknown) => {
    if (!warned) {
      warned = true;
      process.stderr.write(`${JSON.stringify({ t: new Date().toISOString(), level: 'warn', msg: 'stdout write redirected to stderr' })}\n`);
    }
    return process.stderr.write(chunk as string, encodingOrCallback as BufferEncoding, callback as () => void);
  }) as typeof stdout.write;
  const protocolOut = new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk: Buffer, _encoding, done) {
      realWrite(chunk, (error) => done(error ?? null));
    },
    writev(chunks, done) {
      realWrite(Buffer.concat(chunks.map((c) => c.chunk as Buffer)), (error) => done(error ?? null));
    },
  });
  stdout.on('error', (error) => protocolOut.destroy(error));
  guarded = protocolOut;
  return protocolOut;
}

/** Wait (bounded) until everything handed to the protocol stream reached stdout. */
export async function flushProtocolOut(timeoutMs = 2000): Promise<void> {
  const out = guarded;
  if (!out || out.writableLength === 0) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    out.once('drain', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
