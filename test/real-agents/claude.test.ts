// Real Claude Code (installed on first use, cached) through orchd against the project's mock model.
import { describeRealAgent } from './support/suite.js';

describeRealAgent({ agent: 'claude', executor: 'claude-code', askingMode: 'default', editTool: /^Write$/, editKind: 'edit' });
