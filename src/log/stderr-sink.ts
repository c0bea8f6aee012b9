// Where log lines go: stderr, until stderr breaks. A host that dies leaves orchd with a broken stderr pipe; every
// write then fails asynchronously (EPIPE), and if that failure were reported as an uncaught exception and logged to
// stderr again, the daemon would spin on its own error reports and starve its event loop (signals included).
let broken = false;
let listening = false;

/** Write one log line to stderr; after stderr has failed once, drop lines silently. */
export function writeStderr(line: string | Uint8Array): void {
  if (broken) return;
  const stderr = process.stderr;
  if (!listening) {
    listening = true;
    stderr.on('error', () => {
      broken = true;
    });
  }
  if (stderr.destroyed || !stderr.writable) {
    broken = true;
    return;
  }
  try {
    stderr.write(line);
  } catch {
    broken = true;
  }
}

/** True once stderr has failed (the reader on the other end is gone). */
export function stderrBroken(): boolean {
  return broken;
}
