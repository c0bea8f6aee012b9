// Real Codex (installed on first use, cached) through orchd's app-server driver against the project's mock model.
// The mock offers Codex no write tool, so the edit is a shell command that needs approval.
import { describeRealAgent } from './support/suite.js';
import { holdRealAgentSlot } from './support/slot.js';

// Real-agent test files take turns (support/slot.ts), so two heavy CLIs never start at once on a small machine.
await holdRealAgentSlot();

describeRealAgent({ agent: 'codex', executor: 'codex', editTool: /^exec_command$/, editKind: 'command' });
