// Real Qwen Code (installed on first use, cached) through orchd against the project's mock model: stream-json with the
// control protocol (src/executors/qwen.ts). Mode `default` asks before edits; the executor's default (`auto-edit`) asks
// only before commands. Follow-ups resume with `--resume=<id>`, and the model sees the earlier turn.
import { describeRealAgent } from './support/suite.js';
import { holdRealAgentSlot } from './support/slot.js';

// Real-agent test files take turns (support/slot.ts), so two heavy CLIs never start at once on a small machine.
await holdRealAgentSlot();

describeRealAgent({ agent: 'qwen', executor: 'qwen-code', askingMode: 'default', editTool: /^write_file$/, editKind: 'edit', resumeVisibleToModel: true });
