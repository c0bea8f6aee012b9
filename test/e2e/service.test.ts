// End-to-end: service mode over real processes and real sockets, with the built binary. `orchd --stdio --listen` (a
// host and WebSocket clients on one daemon), `orchd serve` (single instance, `orchd status`, `daemon/stop`, signals),
// and `orchd run` attaching to a running service while a WebSocket client watches its session live.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as v from 'valibot';
import type { Event } from '../../protocol/events.js';
import { ServiceInfo } from '../../protocol/service.js';
import { CLI_MS, EVENT_MS, EXIT_MS } from '../support/bounds.js';
import { cliEnvironment, runCli } from '../support/cli.js';
import { BIN, ROOT, spawnOrchd, tempDir } from '../support/client.js';
import { makeRepo } from '../support/repo.js';
import { waitUntil, within } from '../support/wait.js';
import { connectWs, type WsClient } from '../support/ws-client.js';

const cleanup: string[] = [];
const agentHome = tempDir('orchd-agent-home-');
cleanup.push(agentHome);
/** Every `orchd serve` this file started, so that a failed test leaves none running. */
const servers: ChildProcess[] = [];
/** Every WebSocket client this file opened. */
const clients: WsClient[] = [];

after(async () => {
  for (const client of clients) client.dispose();
  // A test that failed may leave a service running: stop it as a person would (it stops its agents), then for good.
  for (const child of servers) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await within(exited, `orchd serve (pid ${child.pid}) to exit on SIGTERM`, EXIT_MS).catch(() => child.kill('SIGKILL'));
  }
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

function environment(): Record<string, string> {
  return cliEnvironment({ FAKE_AGENT_HOME: agentHome, ORCHD_CHECK_RESULTS: '1' });
}

/** A data directory of its own for one test (its real path, as the daemon reports it). */
function dataDirectory(): string {
  const dir = realpathSync(tempDir('orchd-service-data-'));
  cleanup.push(dir);
  return dir;
}

/** service.json once it names `pid` (validated against the schema), or undefined while it does not yet. */
function readInfo(dataDir: string, pid: number | undefined): ServiceInfo | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(join(dataDir, 'service.json'), 'utf8'));
  } catch {
    return undefined;
  }
  const parsed = v.safeParse(ServiceInfo, raw);
  assert.ok(parsed.success, `service.json matches ServiceInfo: ${JSON.stringify(raw)}`);
  return parsed.output.pid === pid ? parsed.output : undefined;
}

/** Wait until service.json names `child`; fails at once (with its stderr) if the child exits first. */
async function serviceOf(dataDir: string, child: ChildProcess, stderr: () => string): Promise<ServiceInfo> {
  let info: ServiceInfo | undefined;
  await waitUntil(
    () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`orchd (pid ${child.pid}) exited (${child.exitCode ?? child.signalCode}) before writing service.json\n${stderr()}`);
      info = readInfo(dataDir, child.pid);
      return info !== undefined;
    },
    `service.json in ${dataDir} to name pid ${child.pid}`,
    EVENT_MS,
  );
  return info!;
}

function tokenOf(dataDir: string): string {
  const token = readFileSync(join(dataDir, 'service-token'), 'utf8').trim();
  assert.match(token, /^orchd_/);
  return token;
}

interface Served {
  child: ChildProcess;
  info: ServiceInfo;
  token: string;
  stderr: () => string;
  /** Nothing is ever written to stdout in service mode. */
  stdout: () => string;
  exited: Promise<number | null>;
}

/** `orchd serve --data-dir D` as a person starts it; resolves once service.json names it. */
async function serve(dataDir: string): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', dataDir], { cwd: ROOT, env: environment(), stdio: ['ignore', 'pipe', 'pipe'] });
  servers.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const describe = () => `--- orchd serve stdout ---\n${stdout}\n--- orchd serve stderr (last 4000 chars) ---\n${stderr.slice(-4000)}`;
  const info = await serviceOf(dataDir, child, describe);
  return { child, info, token: tokenOf(dataDir), stderr: describe, stdout: () => stdout, exited };
}

/** A WebSocket client of `url`, closed at the end of the file if the test did not. */
async function client(url: string, name: string, token: string): Promise<WsClient> {
  const ws = await connectWs(url, name, { token });
  clients.push(ws);
  return ws;
}

/** Every event a client's subscriptions deliver, in arrival order. */
function recordEvents(ws: WsClient): Event[] {
  const events: Event[] = [];
  ws.onEvent((_subscriptionId, event) => events.push(event));
  return events;
}

describe('orchd --stdio --listen: a host and WebSocket clients on one daemon', () => {
  it('the host and two WebSocket clients see the same events in the same order; one client leaving ends only itself', async () => {
    const repo = realpathSync(makeRepo({ 'README.md': '# bridge\n' }));
    cleanup.push(repo);
    const host = spawnOrchd({ args: ['--listen', '0'], env: { FAKE_AGENT_HOME: agentHome, ORCHD_LOG_LEVEL: 'info' } });
    try {
      const dataDir = realpathSync(host.dataDir);
      assert.equal(existsSync(join(dataDir, 'service.json')), false, 'no service before `initialize` opens the data directory');
      await host.client.initialize();
      await host.client.connection.sendNotification('initialized', {});
      const info = await serviceOf(dataDir, host.child, host.stderr);
      assert.match(info.url, /^ws:\/\/127\.0\.0\.1:\d+\/$/);
      assert.equal(info.host, '127.0.0.1');
      assert.equal(info.tokenFile, join(host.dataDir, 'service-token'));
      const token = tokenOf(dataDir);

      const a = await client(info.url, 'ws-a', token);
      const b = await client(info.url, 'ws-b', token);
      await a.initialize();
      await b.initialize();
      const aEvents = recordEvents(a);
      const bEvents = recordEvents(b);
      const hostSub = (await host.client.request('events/subscribe', {})).subscriptionId;
      const aSub = (await a.subscribe({ filter: {} })).subscriptionId;
      const bSub = (await b.subscribe({ filter: {} })).subscriptionId;

      // Work through one WebSocket client, and a last change through the host: its event is the end of the stream.
      const { project } = await a.request('project/create', { name: 'bridge', repositories: [{ path: repo }] });
      const { task } = await a.request('task/create', { projectId: project.id, title: 'Shared', description: 'made over WebSocket' });
      const { workspace } = await a.request('workspace/create', { taskId: task.id });
      await host.client.request('task/update', { taskId: task.id, title: 'Shared, renamed by the host' });
      const last = await host.client.waitFor('events/event', (p) => p.subscriptionId === hostSub && p.event.kind === 'task/updated' && p.event.data.task.title === 'Shared, renamed by the host');
      const lastSeq: number = last.event.seq;
      await waitUntil(() => a.seqs(aSub).includes(lastSeq), `ws-a to receive seq ${lastSeq}`);
      await waitUntil(() => b.seqs(bSub).includes(lastSeq), `ws-b to receive seq ${lastSeq}`);

      const upTo = (events: Event[]) => events.filter((e) => e.seq <= lastSeq).map((e) => [e.seq, e.kind] as const);
      const seen = upTo(host.client.events(hostSub));
      assert.deepEqual(upTo(aEvents), seen, 'ws-a saw what the host saw, in the same order');
      assert.deepEqual(upTo(bEvents), seen, 'ws-b saw what the host saw, in the same order');
      const seqs = seen.map(([seq]) => seq);
      assert.deepEqual(
        seqs,
        [...seqs].sort((x, y) => x - y),
        'in seq order',
      );
      assert.equal(new Set(seqs).size, seqs.length, 'no event twice');
      const kinds = seen.map(([, kind]) => kind);
      for (const kind of ['project/created', 'task/created', 'workspace/created', 'task/updated']) assert.ok(kinds.includes(kind), `${kind} in ${kinds.join(', ')}`);
      assert.ok(
        host.client.events(hostSub).some((e) => e.kind === 'workspace/created' && e.workspaceId === workspace.id),
        'the workspace made over WebSocket is the one the host saw created',
      );

      // All three are listed, each on its transport.
      const { daemon } = await a.request('daemon/status', {});
      assert.equal(daemon.service?.url, info.url);
      assert.deepEqual(daemon.connections.map((c) => [c.transport, c.clientName, c.owner]).sort(), [
        ['stdio', 'orchd-tests', true],
        ['websocket', 'ws-a', false],
        ['websocket', 'ws-b', false],
      ]);

      // ws-b's shutdown and exit end ws-b only.
      assert.equal(await b.request('shutdown'), null);
      await b.notify('exit');
      const closed = await within(b.closeEvent, 'ws-b to be closed after exit', EVENT_MS);
      assert.equal(closed.code, 1000, `ws-b closed normally: ${JSON.stringify(closed)}`);
      assert.equal(host.child.exitCode, null, 'the daemon runs on');
      assert.deepEqual(await host.client.request('project/get', { projectId: project.id }), { project: (await a.request('project/get', { projectId: project.id })).project });
      assert.equal((await a.request('daemon/ping', {})).pong, true);
      const after = await host.client.request('daemon/status', {});
      assert.deepEqual(after.daemon.connections.map((c) => c.clientName).sort(), ['orchd-tests', 'ws-a'], 'ws-b is gone from the daemon');
      // ...and ws-a still gets events live.
      await host.client.request('task/update', { taskId: task.id, title: 'After ws-b left' });
      await waitUntil(() => aEvents.some((e) => e.kind === 'task/updated' && (e.data as { task: { title: string } }).task.title === 'After ws-b left'), 'ws-a to see the task renamed after ws-b left');

      // The host's shutdown and exit stop the daemon: ws-a is told it is going away, and service.json goes.
      await host.close({ keepDataDir: true });
      assert.equal(await host.exited, 0, host.stderr());
      assert.equal((await within(a.closeEvent, 'ws-a to be closed when the host exits', EVENT_MS)).code, 1001);
      assert.equal(existsSync(join(dataDir, 'service.json')), false, 'service.json is removed');
      assert.equal(existsSync(join(dataDir, 'service.lock')), false, 'service.lock is removed');
    } finally {
      await host.close();
    }
  });
});

describe('orchd serve and orchd status', () => {
  it('a second orchd serve on the same data directory names the running one and exits 1; status shows the service and its connections', async () => {
    const dataDir = dataDirectory();
    const served = await serve(dataDir);
    assert.equal(served.info.host, '127.0.0.1');
    assert.match(served.info.url, /^ws:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(served.info.tokenFile, join(dataDir, 'service-token'));
    for (const file of ['service.json', 'service-token', 'service.lock']) assert.equal(statSync(join(dataDir, file)).mode & 0o777, 0o600, `${file} is private`);

    const second = await runCli(['serve', '--data-dir', dataDir], environment());
    assert.equal(second.code, 1, second.stderr);
    assert.ok(second.stderr.includes(served.info.url), `the second serve names ${served.info.url}:\n${second.stderr}`);
    assert.ok(second.stderr.includes(String(served.child.pid)), `…and its pid ${served.child.pid}:\n${second.stderr}`);
    assert.equal(served.child.exitCode, null, 'the first one runs on');
    assert.equal(readInfo(dataDir, served.child.pid)?.url, served.info.url, 'service.json still names the first one');

    const watcher = await client(served.info.url, 'watcher', served.token);
    await watcher.initialize();
    await watcher.subscribe({ filter: {} });

    const text = await runCli(['status', '--data-dir', dataDir], environment());
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^ {2}serving +${served.info.url.replace(/[.[\]/]/g, '\\$&')}$`, 'm'));
    assert.match(text.stdout, new RegExp(`pid ${served.child.pid}\\b`));
    assert.match(text.stdout, /^ {2}connections 2$/m);
    assert.match(text.stdout, /^ {2}- con_\S+ watcher \[websocket, token default\]$/m);
    assert.match(text.stdout, /^ {2}- con_\S+ orchd-status \S+ \[websocket, token default, this one\]$/m);
    assert.match(text.stdout, /^ {6}subscription \S+ at seq \d+$/m);

    // The text status's connection is gone before the JSON one counts them.
    await connectionsBecome(watcher, ['watcher'], 'the first status connection to be gone');
    const json = await runCli(['status', '--json', '--data-dir', dataDir], environment());
    assert.equal(json.code, 0, json.stderr);
    const status = JSON.parse(json.stdout) as { running: boolean; daemon: { pid: number; dataDir: string; service: { url: string }; connections: { clientName: string; transport: string; current: boolean; subscriptions: unknown[] }[] } };
    assert.equal(status.running, true);
    assert.equal(status.daemon.pid, served.child.pid);
    assert.equal(status.daemon.dataDir, dataDir);
    assert.equal(status.daemon.service.url, served.info.url);
    assert.deepEqual(status.daemon.connections.map((c) => [c.clientName, c.transport, c.current, c.subscriptions.length]).sort(), [
      ['orchd-status', 'websocket', true, 0],
      ['watcher', 'websocket', false, 1],
    ]);

    // The JSON status's connection does not stay behind either.
    await connectionsBecome(watcher, ['watcher'], 'the second status connection to be gone');
    await watcher.request('daemon/stop', {});
    assert.equal(await within(served.exited, 'orchd serve to exit after daemon/stop', EXIT_MS), 0, served.stderr());
  });

  it('orchd status exits 3 when no service runs on the data directory', async () => {
    const dataDir = dataDirectory();
    const text = await runCli(['status', '--data-dir', dataDir], environment());
    assert.equal(text.code, 3, text.stderr);
    assert.match(text.stdout, /No orchd service is running/);
    const json = await runCli(['status', '--json', '--data-dir', dataDir], environment());
    assert.equal(json.code, 3, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), { running: false, dataDir });
  });
});

describe('orchd run attached to orchd serve', () => {
  it('runs through the service, and a WebSocket client subscribed to everything sees the session live', async () => {
    const dataDir = dataDirectory();
    const repo = realpathSync(makeRepo({ 'README.md': '# attached\n' }));
    const gateDir = dataDirectory();
    const gate = join(gateDir, 'go');
    cleanup.push(repo);
    const served = await serve(dataDir);
    const watcher = await client(served.info.url, 'watcher', served.token);
    const events = recordEvents(watcher);
    await watcher.initialize();
    await watcher.subscribe({ filter: {} });

    // The agent waits for a file the test writes, so the run is still going while the watcher looks (or until the
    // directory is removed, so that a failed test leaves no loop behind).
    const prompt = `Attached\n@bash while [ -d '${gateDir}' ] && [ ! -e '${gate}' ]; do sleep 0.05; done; echo gate open\n@edit attached.txt from the service`;
    const running = runCli(['run', '--yes', '--repo', repo, '--agent', 'scripted-agent', '--data-dir', dataDir, prompt], environment());
    let exited = false;
    void running.then(
      () => (exited = true),
      () => (exited = true),
    );

    const started = await waitFor(events, (e) => e.kind === 'session/started', 'session/started from the run');
    const sessionId = started.sessionId!;
    assert.ok(sessionId, 'session/started names its session');
    const isGateCall = (e: Event) =>
      e.kind === 'session/entryUpserted' && e.sessionId === sessionId && (e.data as { entry: { type: string; name?: string } }).entry.type === 'toolCall' && (e.data as { entry: { name?: string } }).entry.name === 'Bash';
    await waitFor(events, isGateCall, 'the Bash tool call that waits for the gate');
    assert.equal(exited, false, 'the watcher saw the session while orchd run was still running');
    assert.equal(served.child.exitCode, null);

    // The run's own connection is listed beside the watcher, on the service (not in a daemon of its own).
    const { daemon } = await watcher.request('daemon/status', {});
    assert.ok(
      daemon.connections.some((c) => c.clientName === 'orchd-cli' && c.transport === 'websocket' && c.subscriptions.length === 1),
      `orchd run is a WebSocket client of the service: ${JSON.stringify(daemon.connections.map((c) => [c.clientName, c.transport]))}`,
    );
    assert.equal(daemon.processes.sessions, 1, 'the session runs in the service');

    writeFileSync(gate, '');
    const result = await within(running, 'orchd run to exit', CLI_MS);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}\n${served.stderr()}`);
    assert.match(result.stdout, new RegExp(`attached to the orchd service at ${served.info.url.replace(/[.[\]/]/g, '\\$&')}`));
    assert.match(result.stdout, /^── scripted-agent completed after/m);
    assert.match(result.stdout, /^Changes +1 file changed/m);

    // The watcher saw the whole session: its entries, its processes, and its end.
    const idle = await waitFor(
      events,
      (e) => e.kind === 'session/updated' && e.sessionId === sessionId && (e.data as { session: { status: string } }).session.status === 'idle',
      'the session to be reported finished',
    );
    const ofSession = events.filter((e) => e.sessionId === sessionId);
    const kinds = new Set(ofSession.map((e) => e.kind));
    for (const kind of ['session/started', 'session/entryUpserted', 'session/updated', 'execution/started', 'execution/exited']) assert.ok(kinds.has(kind), `${kind} for ${sessionId} in ${[...kinds].join(', ')}`);
    assert.ok(
      ofSession.some((e) => e.kind === 'session/entryUpserted' && (e.data as { entry: { type: string; text?: string } }).entry.text === 'You said: Attached'),
      'the assistant message',
    );
    assert.ok(ofSession.indexOf(started) < ofSession.indexOf(idle), 'started before it finished');
    const seqs = events.map((e) => e.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((x, y) => x - y),
      'in seq order',
    );
    assert.equal(served.child.exitCode, null, 'the service outlives the run');
    await connectionsBecome(watcher, ['watcher'], 'the connection of orchd run to be gone from the service');
    const after = await watcher.request('daemon/status', {});
    assert.equal(after.daemon.processes.sessions, 0, 'no session runs on');
    await watcher.request('daemon/stop', {});
    assert.equal(await within(served.exited, 'orchd serve to exit after daemon/stop', EXIT_MS), 0, served.stderr());
  });
});

describe('stopping orchd serve', () => {
  it('daemon/stop from a WebSocket client: exit 0, service.json and service.lock removed, the client told 1001', async () => {
    const dataDir = dataDirectory();
    const served = await serve(dataDir);
    assert.ok(existsSync(join(dataDir, 'service.lock')));
    const ws = await client(served.info.url, 'stopper', served.token);
    await ws.initialize();
    assert.equal(await ws.request('daemon/stop', {}), null);
    assert.equal(await within(served.exited, 'orchd serve to exit after daemon/stop', EXIT_MS), 0, served.stderr());
    assert.equal(served.stdout(), '', 'orchd serve writes nothing to stdout');
    assert.equal((await within(ws.closeEvent, 'the client to be closed', EVENT_MS)).code, 1001);
    assert.equal(existsSync(join(dataDir, 'service.json')), false, 'service.json is removed');
    assert.equal(existsSync(join(dataDir, 'service.lock')), false, 'service.lock is removed');
    // Nothing runs there now.
    assert.equal((await runCli(['status', '--data-dir', dataDir], environment())).code, 3);
  });

  it('SIGTERM closes a connected client with 1001 (going away) and exits 0', async () => {
    const dataDir = dataDirectory();
    const served = await serve(dataDir);
    const ws = await client(served.info.url, 'bystander', served.token);
    await ws.initialize();
    await ws.subscribe({ filter: {} });
    served.child.kill('SIGTERM');
    const closed = await within(ws.closeEvent, 'the client to be closed on SIGTERM', EVENT_MS);
    assert.equal(closed.code, 1001, JSON.stringify(closed));
    assert.match(closed.reason, /stopping/);
    assert.equal(await within(served.exited, 'orchd serve to exit on SIGTERM', EXIT_MS), 0, served.stderr());
    assert.equal(served.stdout(), '', 'orchd serve writes nothing to stdout');
    assert.equal(existsSync(join(dataDir, 'service.json')), false, 'service.json is removed');
    assert.equal(existsSync(join(dataDir, 'service.lock')), false, 'service.lock is removed');
  });
});

/** The first recorded event that matches, once it has arrived. */
async function waitFor(events: Event[], match: (e: Event) => boolean, what: string, timeoutMs = CLI_MS): Promise<Event> {
  await waitUntil(() => events.some(match), what, timeoutMs);
  return events.find(match)!;
}

/**
 * Wait until the daemon lists exactly these client names. A CLI that closed its own WebSocket can have exited before
 * the daemon has read the close, so a connection it left is looked for until it is gone.
 */
async function connectionsBecome(ws: WsClient, names: string[], what: string, timeoutMs = EVENT_MS): Promise<void> {
  const expected = [...names].sort();
  const deadline = Date.now() + timeoutMs;
  let seen: string[] = [];
  for (;;) {
    const { daemon } = await ws.request('daemon/status', {});
    seen = daemon.connections.map((c) => c.clientName ?? '(none)').sort();
    if (JSON.stringify(seen) === JSON.stringify(expected)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: the daemon lists ${JSON.stringify(seen)}, expected ${JSON.stringify(expected)}`);
    // The cost of a check, never a deadline.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
