// Real OpenCode (installed on first use, cached) through orchd against the project's mock model: `opencode acp`
// (src/executors/opencode.ts). Mode `default` makes OpenCode ask before edits (`OPENCODE_PERMISSION`); approvals name
// the ACP kind (`edit`). Follow-ups `session/resume` in a new process, and the model sees the earlier turn.
import { describeRealAgent } from './support/suite.js';
import { holdRealAgentSlot } from './support/slot.js';

// Real-agent test files take turns (support/slot.ts), so two heavy CLIs never start at once on a small machine.
await holdRealAgentSlot();

describeRealAgent({ agent: 'opencode', executor: 'opencode', askingMode: 'default', editTool: /^edit$/, editKind: 'edit', resumeVisibleToModel: true });
