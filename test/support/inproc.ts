// The in-process boundary: a client and the server joined by in-memory streams (no child process).
import { realpathSync, rmSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import type { Event } from '../../protocol/events.js';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import type { EventHubOptions } from '../../src/events/hub.js';
import { createLogger } from '../../src/log/logger.js';
import { attachConnection, type AttachedConnection } from '../../src/server/connection.js';
import { FrameWriter } from '../../src/server/frame-writer.js';
import { FrameReader } from '../../src/server/framing.js';
import { ServerHost } from '../../src/server/host.js';
import { tempDir, TestClient } from './client.js';
import { frameCheck, type FrameCheck } from './frames.js';
import { makeRepo } from './repo.js';

export interface InProcessOrchd {
  client: TestClient;
  host: ServerHost;
  attached: AttachedConnection;
  dataDir: string;
  frames: FrameCheck;
  exitCodes: number[];
  logs: string[];
  /** Raw bytes into the server, bypassing the client. */
  write(bytes: Buffer): void;
  close(): Promise<void>;
}

/** Start a server in this process with a fresh data directory (or the given one). */
export function inProcessOrchd(options: { dataDir?: string; events?: EventHubOptions } = {}): InProcessOrchd {
  const dataDir = options.dataDir ?? tempDir();
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => void logs.push(line) });
  const exitCodes: number[] = [];
  const host = new ServerHost({ logger, version: '0.0.0-test', dataDirEnv: dataDir, exit: (code) => void exitCodes.push(code), ...(options.events ? { events: options.events } : {}) });
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const frames = frameCheck();
  const forClient = new PassThrough();
  toClient.on('data', (chunk: Buffer) => {
    frames.push(chunk);
    forClient.write(chunk);
  });
  let attached: AttachedConnection | undefined;
  const reader = new FrameReader(toServer, { onBadFrame: (bad) => attached?.replyToBadFrame(bad) });
  attached = attachConnection(host, reader, new FrameWriter(toClient), { checkResults: true });
  const connection = createMessageConnection(new StreamMessageReader(forClient), new StreamMessageWriter(toServer));
  const client = new TestClient(connection, () => `--- server log (last 40 lines) ---\n${logs.slice(-40).join('')}`);
  return {
    client,
    host,
    attached,
    dataDir,
    frames,
    exitCodes,
    logs,
    write: (bytes) => void toServer.write(bytes),
    async close() {
      connection.dispose();
      attached!.dispose();
      await host.shutdown();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface AgentFixture {
  orchd: InProcessOrchd;
  /** A real git repository (real path) for projects to use. */
  repo: string;
  /** The scripted agent's HOME (its transcripts), set as FAKE_AGENT_HOME for this process's agents. */
  agentHome: string;
  /** Every event of the live subscription opened at start. */
  events: () => Event[];
}

/** An initialized in-process orchd with a repository, a home for the scripted agent, and a live subscription. */
export async function startAgentFixture(): Promise<AgentFixture> {
  const agentHome = tempDir('orchd-agent-home-');
  process.env.FAKE_AGENT_HOME = agentHome;
  const orchd = inProcessOrchd();
  await orchd.client.initialize();
  const repo = realpathSync(makeRepo());
  const sub = await orchd.client.request('events/subscribe', {});
  return { orchd, repo, agentHome, events: () => orchd.client.events(sub.subscriptionId) };
}

/** Close the fixture's orchd and remove its repository and agent home. */
export async function stopAgentFixture(fixture: Pick<AgentFixture, 'orchd' | 'repo' | 'agentHome'>): Promise<void> {
  await fixture.orchd.close();
  rmSync(fixture.repo, { recursive: true, force: true });
  rmSync(fixture.agentHome, { recursive: true, force: true });
}
