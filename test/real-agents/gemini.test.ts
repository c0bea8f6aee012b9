// Real Gemini CLI (installed on first use, cached) through orchd's ACP driver against the project's mock model.
// Follow-ups `session/load` in a new process; Gemini's same-minute quirk can make the follow-up wait up to a minute.
import { describeRealAgent } from './support/suite.js';
import { holdRealAgentSlot } from './support/slot.js';

// Real-agent test files take turns (support/slot.ts), so two heavy CLIs never start at once on a small machine.
await holdRealAgentSlot();

describeRealAgent({ agent: 'gemini', executor: 'gemini', editTool: /write_file|edit/, editKind: 'edit' });
