// Real Claude Code (installed on first use, cached) through orchd against the project's mock model.
import { describeRealAgent } from './support/suite.js';
import { holdRealAgentSlot } from './support/slot.js';

// Real-agent test files take turns (support/slot.ts), so two heavy CLIs never start at once on a small machine.
await holdRealAgentSlot();

describeRealAgent({ agent: 'claude', executor: 'claude-code', askingMode: 'default', editTool: /^Write$/, editKind: 'edit' });
