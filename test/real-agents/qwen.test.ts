// Real Qwen Code (installed on first use, cached) through orchd against the project's mock model: stream-json with the
// control protocol (src/executors/qwen.ts). Mode `default` asks before edits; the executor's default (`auto-edit`) asks
// only before commands. Follow-ups resume with `--resume=<id>`, and the model sees the earlier turn.
import { describeRealAgent } from './support/suite.js';

describeRealAgent({ agent: 'qwen', executor: 'qwen-code', askingMode: 'default', editTool: /^write_file$/, editKind: 'edit', resumeVisibleToModel: true });
