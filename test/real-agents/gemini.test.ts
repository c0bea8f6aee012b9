// Real Gemini CLI (installed on first use, cached) through orchd's ACP driver against the project's mock model.
// Follow-ups `session/load` in a new process; Gemini's same-minute quirk can make the follow-up wait up to a minute.
import { describeRealAgent } from './support/suite.js';

describeRealAgent({ agent: 'gemini', executor: 'gemini', editTool: /write_file|edit/, editKind: 'edit' });
