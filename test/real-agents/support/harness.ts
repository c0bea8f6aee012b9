// One real agent CLI driven through orchd over real stdio: the pinned CLI (installed on demand, cached), the
// project's mock model on 127.0.0.1, a sealed HOME, a temp git repository, and a host that answers approvals.
import { realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Approval } from '../../../protocol/approvals.js';
import type { NormalizedEntry } from '../../../protocol/entries.js';
import type { Event } from '../../../protocol/events.js';
import { startMockModel, type MockModel } from '../../../fixtures/mock-model/server.js';
import { spawnOrchd, tempDir, type SpawnedOrchd } from '../../support/client.js';
import { makeRepo } from '../../support/repo.js';
import { AGENT_SESSION_MS } from '../../support/bounds.js';
import { waitUntil } from '../../support/wait.js';
import { ensureAgentCli, type AgentId, type InstalledAgent } from './install.js';
import { agentEnvironment } from './isolation.js';

export interface RealAgentHarness {
  cli: InstalledAgent;
  mock: MockModel;
  orchd: SpawnedOrchd;
  repo: string;
  home: string;
  asked: Approval[];
  /** How the host answers `approval/request`; null leaves it unanswered. */
  answer: (approval: Approval) => { decision: 'allowOnce' | 'allowSession' | 'deny'; reason?: string } | null;
  events(): Event[];
  workspace(title: string, scripts?: Record<string, unknown>): Promise<{ workspaceId: string; taskId: string; path: string }>;
  /** Wait until the session is idle again after its chain. */
  idle(sessionId: string, afterSeq?: number, timeoutMs?: number): Promise<void>;
  entries(sessionId: string): Promise<NormalizedEntry[]>;
  close(): Promise<void>;
}

/** The variable that points each executor at the installed binary. */
const BINARY_VARIABLE: Record<AgentId, string> = {
  claude: 'ORCHD_CLAUDE_PATH',
  codex: 'ORCHD_CODEX_PATH',
  gemini: 'ORCHD_GEMINI_PATH',
  qwen: 'ORCHD_QWEN_PATH',
  opencode: 'ORCHD_OPENCODE_PATH',
};

export async function realAgentHarness(id: AgentId): Promise<RealAgentHarness> {
  const cli = await ensureAgentCli(id);
  const mock = await startMockModel();
  const home = realpathSync(tempDir(`orchd-${id}-home-`));
  const env = { ...agentEnvironment(id, { home, mockUrl: mock.url }), ...cli.env, [BINARY_VARIABLE[id]]: cli.bin, ORCHD_LOG_LEVEL: 'info' };
  const orchd = spawnOrchd({ env, dataDir: join(home, 'orchd-data') });
  const repo = realpathSync(makeRepo({ 'README.md': '# app\n' }));
  let events: () => Event[] = () => [];
  const h: RealAgentHarness = {
    cli,
    mock,
    orchd,
    repo,
    home,
    asked: [],
    answer: () => ({ decision: 'allowOnce' }),
    events: () => events(),
    async workspace(title, scripts) {
      const project = (await orchd.client.request('project/create', { name: title, repositories: [{ path: repo }], ...(scripts ? { scripts: scripts as never } : {}) })).project;
      const task = (await orchd.client.request('task/create', { projectId: project.id, title })).task;
      const ws = (await orchd.client.request('workspace/create', { taskId: task.id })).workspace;
      return { workspaceId: ws.id, taskId: task.id, path: ws.repositories[0]!.path };
    },
    async idle(sessionId, afterSeq = 0, timeoutMs = AGENT_SESSION_MS) {
      await waitUntil(
        () => events().some((e) => e.seq > afterSeq && e.kind === 'session/updated' && e.sessionId === sessionId && (e.data as { session: { status: string } }).session.status === 'idle'),
        `session ${sessionId} to go idle`,
        timeoutMs,
      );
    },
    async entries(sessionId) {
      const result = await orchd.client.request('session/entries', { sessionId });
      return result.entries.map((e) => e.entry);
    },
    async close() {
      await orchd.close();
      await mock.close();
      rmSync(repo, { recursive: true, force: true });
      rmSync(home, { recursive: true, force: true });
    },
  };
  orchd.client.connection.onRequest('approval/request', (params: { approval: Approval }) => {
    h.asked.push(params.approval);
    return h.answer(params.approval) ?? new Promise(() => {});
  });
  await orchd.client.initialize({ capabilities: { approvals: true } });
  const sub = await orchd.client.request('events/subscribe', {});
  events = () => orchd.client.events(sub.subscriptionId);
  return h;
}

/** The last seq delivered so far (to wait for events after it). */
export function lastSeq(h: RealAgentHarness): number {
  const all = h.events();
  return all.length ? all[all.length - 1]!.seq : 0;
}
