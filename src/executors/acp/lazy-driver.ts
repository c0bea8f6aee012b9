// The ACP driver, loaded on first use: @agentclientprotocol/sdk and zod are a large share of the bundle, and a
// daemon that never runs an ACP agent should not pay for compiling and initialising them at start-up.
import type { AgentDriver, AgentInput } from '../types.js';
import type { AcpDriverOptions } from './driver.js';

export function createLazyAcpDriver(options: AcpDriverOptions): AgentDriver {
  let real: AgentDriver | null = null;
  let input: AgentInput | null = null;
  let interrupted = false;
  const early: string[] = [];
  const loading = import('./driver.js').then(
    ({ createAcpDriver }) => {
      real = createAcpDriver(options);
      if (interrupted) {
        input?.close();
        return;
      }
      if (input) real.start(input);
      for (const line of early.splice(0)) real.onStdoutLine(line);
    },
    () => input?.close(),
  );
  void loading;
  return {
    start(io) {
      input = io;
      real?.start(io);
    },
    onStdoutLine(line) {
      if (real) real.onStdoutLine(line);
      else early.push(line);
    },
    interrupt() {
      if (real) return real.interrupt();
      // Not started yet: there is no turn to cancel; closing stdin ends the agent once the driver would have begun.
      interrupted = true;
      input?.close();
      return true;
    },
  };
}
