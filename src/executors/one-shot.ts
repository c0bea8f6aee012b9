// One-shot CLIs (Cursor, Amp, Droid): the prompt on stdin, one process per turn, no control channel.
import type { AgentDriver } from './types.js';

/** The driver of a one-shot CLI that reads its prompt from stdin: write the prompt, close stdin, and nothing else.
 * There is no graceful interrupt, so a stop goes straight to signals. Shared by the Cursor, Amp and Droid
 * executors. */
export function createOneShotDriver(prompt: string): AgentDriver {
  return {
    start(input) {
      input.writeLine(prompt);
      input.close();
    },
    onStdoutLine() {},
    interrupt: () => false,
  };
}
