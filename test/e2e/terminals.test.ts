// Terminals end to end over real stdio against the built binary (issue 13, "Done means"): a flooding terminal does
// not stall other requests, all of its output reaches a subscriber that reads, in order, and the daemon's memory stays
// bounded; SIGKILL of the daemon leaves no terminal process behind after the next start; deleting a workspace ends its
// terminals; daemon/status counts running terminals; create's refusals. The in-process tests
// (test/inproc/terminals.test.ts, terminals-flow.test.ts) cover echo, resize, Ctrl-C, paste, confinement, replay
// and flow control with a stalled client.
import assert from 'node:assert/strict';
import xtermHeadless from '@xterm/headless';
import type { Terminal as HeadlessTerminal } from '@xterm/headless';
import { readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Event } from '../../protocol/events.js';
import type { Terminal } from '../../protocol/terminal.js';
import { EVENT_MS, EXIT_MS, FLOOD_MS } from '../support/bounds.js';
import { spawnOrchd, tempDir, type SpawnedOrchd } from '../support/client.js';
import { makeRepo } from '../support/repo.js';
import { groupMembers, processGone, waitForProcessExit, waitUntil } from '../support/wait.js';

const { Terminal: Headless } = xtermHeadless as unknown as { Terminal: typeof HeadlessTerminal };

/** The flood: at least this many blocks of 1,000,000 bytes of `yes` (50 MB), each followed by a `block N` line. */
const MIN_BLOCKS = 50;
const BLOCK_INPUT_BYTES = 1_000_000;
/** What a block of `yes | head -c 1000000` looks like through the PTY: 500,000 lines of `y`, each \n turned into \r\n. */
const BLOCK_OUTPUT = 'y\r\n'.repeat(BLOCK_INPUT_BYTES / 2);
/** Requests a host sends, one after the other, while the terminal floods. */
const REQUESTS_DURING_FLOOD = 20;
/** The daemon's resident memory may not pass this during the flood (memory, not time: 75 MB go through it). */
const RSS_BOUND_KB = 600 * 1024;

/** Resident set size in KiB, or 0 once the process is gone. */
function rssKb(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}


/** The visible screen of a headless emulator after `data`, trailing blank lines dropped. */
async function screen(data: string, cols: number, rows: number): Promise<string[]> {
  const term = new Headless({ cols, rows, scrollback: 1000, allowProposedApi: true });
  await new Promise<void>((resolve) => term.write(data, resolve));
  const buffer = term.buffer.active;
  const lines: string[] = [];
  for (let i = buffer.baseY; i < buffer.baseY + rows; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
  term.dispose();
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

interface Setup {
  orchd: SpawnedOrchd;
  repo: string;
  workspace(title: string): Promise<{ id: string; path: string }>;
}

async function setUp(options: { dataDir?: string } = {}): Promise<Setup> {
  const orchd = spawnOrchd({ ...options, env: { ORCHD_LOG_LEVEL: 'info' } });
  await orchd.client.initialize();
  const repo = realpathSync(makeRepo({ 'README.md': '# terminals\n' }));
  return {
    orchd,
    repo,
    async workspace(title) {
      const project = (await orchd.client.request('project/create', { name: title, repositories: [{ path: repo }] })).project;
      const task = (await orchd.client.request('task/create', { projectId: project.id, title })).task;
      const ws = (await orchd.client.request('workspace/create', { taskId: task.id })).workspace;
      return { id: ws.id, path: ws.repositories[0]!.path };
    },
  };
}

async function tearDown(setup: Setup, options: { keepDataDir?: boolean } = {}): Promise<void> {
  await setup.orchd.close(options);
  rmSync(setup.repo, { recursive: true, force: true });
}

describe('terminals end to end (real stdio, real PTY)', () => {
  it('a real shell: echo, stty size after resize, Ctrl-C, a 1 MB paste, and a replay that draws the live screen', { timeout: FLOOD_MS }, async () => {
    const setup = await setUp();
    try {
      const { client } = setup.orchd;
      const ws = await setup.workspace('Shell over stdio');
      const { subscriptionId } = await client.request('events/subscribe', { filter: { workspaceId: ws.id, kinds: ['terminal/*'] } });
      const cols = 100;
      const rows = 30;
      const { terminal } = await client.request('terminal/create', { workspaceId: ws.id, command: '/bin/sh', args: ['-i'], cols: 80, rows: 24, scrollbackBytes: 64 * 1024 });
      const output = () =>
        client
          .events(subscriptionId)
          .filter((e) => e.kind === 'terminal/output')
          .map((e) => (e.data as { data: string }).data)
          .join('');
      const type = (data: string) => client.request('terminal/input', { terminalId: terminal.id, data });
      await type('echo "ty""ped"\r');
      await waitUntil(() => output().includes('typed'), 'the typed command to run');
      await client.request('terminal/resize', { terminalId: terminal.id, cols, rows });
      await type('stty size\r');
      await waitUntil(() => output().includes(`${rows} ${cols}`), '`stty size` to report the new size');
      await type('sleep 100; echo "slept""-through"\r');
      await waitUntil(() => output().includes('sleep 100;'), 'sleep to start');
      await type('\u0003');
      await type('echo "after""-interrupt"\r');
      await waitUntil(() => output().includes('after-interrupt'), 'the prompt back after Ctrl-C');
      assert.ok(!output().includes('slept-through'), 'sleep was interrupted');
      const line = `${'p'.repeat(1023)}\n`;
      const paste = line.repeat(1024);
      const file = join(ws.path, 'paste.txt');
      await type(`stty -echo; cat > ${file}\r`);
      await waitUntil(() => output().includes(`cat > ${file}`), 'cat to start');
      assert.equal((await type(paste.replaceAll('\n', '\r'))).bytes, paste.length);
      await type('\u0004');
      // Then more output than the scrollback keeps, a full-screen redraw, and nothing more (the shell becomes a sleep).
      await type(`stty echo; wc -c < ${file}; seq 1 20000; printf "\\033[2J\\033[4;6H\\033[1;35mredrawn\\033[0m\\n"; echo "all-""done"; exec sleep 1000\r`);
      await waitUntil(() => output().includes('all-done'), 'the paste to be counted and the screen redrawn');
      assert.ok(output().includes(String(paste.length)), `wc counted ${paste.length} bytes`);
      assert.equal(readFileSync(file, 'utf8'), paste, 'the paste arrived intact');
      // The live stream and the replay, each drawn into a headless emulator of the terminal's size, show one screen.
      const { terminal: now } = await client.request('terminal/get', { terminalId: terminal.id });
      await waitUntil(() => client.events(subscriptionId).some((e) => e.kind === 'terminal/output' && (e.data as { seq: number }).seq === now.outputSeq), 'the last chunk so far');
      // The output passed the 64 KB bound: once the trim has committed, a snapshot stands in for the oldest chunks.
      let replay = await client.request('terminal/output', { terminalId: terminal.id });
      for (const deadline = Date.now() + EVENT_MS; !replay.reset && Date.now() < deadline; ) replay = await client.request('terminal/output', { terminalId: terminal.id });
      assert.equal(replay.reset, true, 'the scrollback was trimmed to a snapshot');
      assert.equal(replay.toSeq, now.outputSeq);
      const live = await screen(output(), cols, rows);
      assert.ok(live.some((l) => l === '     redrawn') && live.some((l) => l.includes('all-done')), `the live screen shows the redraw: ${JSON.stringify(live)}`);
      assert.deepEqual(await screen(replay.data, cols, rows), live, 'the replay draws the screen the live stream drew');
      await client.request('terminal/kill', { terminalId: terminal.id });
    } finally {
      await tearDown(setup);
    }
  });

  it('a 50 MB flood does not stall other requests, reaches a reading subscriber whole and in order, and keeps RSS bounded', { timeout: FLOOD_MS }, async (t) => {
    const setup = await setUp();
    const stopFile = join(tempDir('orchd-flood-stop-'), 'stop');
    let peakRssKb = 0;
    const daemonPid = setup.orchd.child.pid!;
    const sampler = setInterval(() => (peakRssKb = Math.max(peakRssKb, rssKb(daemonPid))), 50);
    try {
      const { client } = setup.orchd;
      const ws = await setup.workspace('Flood');
      // This subscriber reads everything; its events are checked as they come (75 MB are not kept in the test).
      let subscriptionId = '';
      const chunkSeqs: number[] = [];
      const eventSeqs: number[] = [];
      let chars = 0;
      let pending = '';
      let blocks = 0;
      let markerSeen = false;
      let exited: Terminal | undefined;
      const problems: string[] = [];
      const consume = (data: string) => {
        chars += data.length;
        let from = Math.max(0, pending.length - 16);
        pending += data;
        for (;;) {
          const at = pending.indexOf('block ', from);
          const end = at < 0 ? -1 : pending.indexOf('\r\n', at);
          if (end < 0) break;
          blocks++;
          if (pending.slice(0, at) !== BLOCK_OUTPUT && problems.length < 5) problems.push(`block ${blocks}: ${at} characters of output before its line, not exactly ${BLOCK_OUTPUT.length} of \`y\\r\\n\``);
          if (pending.slice(at, end) !== `block ${blocks}` && problems.length < 5) problems.push(`expected the line \`block ${blocks}\`, got ${JSON.stringify(pending.slice(at, end))}`);
          pending = pending.slice(end + 2);
          from = 0;
        }
        if (pending.startsWith('flood-done\r\n')) {
          markerSeen = true;
          pending = pending.slice('flood-done\r\n'.length);
        }
        if (pending.length > BLOCK_OUTPUT.length + 64 && problems.length < 5) problems.push(`${pending.length} characters without a \`block N\` line`);
      };
      // Every `events/event` comes here instead of the test client's list (which would keep all 75 MB).
      client.connection.onNotification('events/event', (params: { subscriptionId: string; event: Event }) => {
        if (params.subscriptionId !== subscriptionId) return;
        const { event } = params;
        eventSeqs.push(event.seq);
        if (event.kind === 'terminal/output') {
          const { seq, data } = event.data as { seq: number; data: string };
          chunkSeqs.push(seq);
          consume(data);
        }
        if (event.kind === 'terminal/exited') exited = (event.data as { terminal: Terminal }).terminal;
        // Nor does the frame checker need to keep every frame to report problems.
        if (setup.orchd.frames.frames.length > 256) setup.orchd.frames.frames.length = 0;
      });
      subscriptionId = (await client.request('events/subscribe', { filter: { workspaceId: ws.id, kinds: ['terminal/*'] } })).subscriptionId;

      // Blocks of `yes` until at least MIN_BLOCKS are out and the test has made its requests (it then creates the stop
      // file), so the requests certainly run during the flood; then a marker, and the program stays until killed.
      const script = [
        'i=0',
        `while [ $i -lt ${MIN_BLOCKS} ] || [ ! -e "$FLOOD_STOP" ]; do i=$((i+1)); yes | head -c ${BLOCK_INPUT_BYTES}; echo "block $i"; done`,
        'echo flood-done',
        'exec sleep 1000',
      ].join('\n');
      const { terminal } = await client.request('terminal/create', { workspaceId: ws.id, command: '/bin/sh', args: ['-c', script], env: { FLOOD_STOP: stopFile }, cols: 80, rows: 24 });
      await waitUntil(() => chars > 0, 'the first output of the flood');
      for (let i = 0; i < REQUESTS_DURING_FLOOD; i++) {
        const { projects } = await client.request('project/list', {});
        assert.ok(projects.length >= 1, `project/list ${i + 1} answered during the flood`);
      }
      assert.equal(markerSeen, false, 'the flood was still going when the requests were answered');
      writeFileSync(stopFile, '');
      await waitUntil(() => markerSeen || problems.length > 0, `the end of the flood (${blocks} blocks so far)`, FLOOD_MS);
      assert.deepEqual(problems, []);
      assert.ok(blocks >= MIN_BLOCKS, `at least ${MIN_BLOCKS} blocks (${blocks})`);
      assert.equal(pending, '', 'nothing after the marker');
      const expectedChars = blocks * BLOCK_OUTPUT.length + Array.from({ length: blocks }, (_, i) => `block ${i + 1}\r\n`.length).reduce((a, b) => a + b, 0) + 'flood-done\r\n'.length;
      assert.equal(chars, expectedChars, 'every byte of the flood arrived (each \\n as \\r\\n)');

      const { terminal: now } = await client.request('terminal/get', { terminalId: terminal.id });
      assert.equal(now.status, 'running');
      assert.deepEqual(
        chunkSeqs,
        Array.from({ length: now.outputSeq }, (_, i) => i + 1),
        'chunks 1..outputSeq, in order, none missing or twice',
      );
      assert.ok(eventSeqs.every((seq, i) => i === 0 || seq > eventSeqs[i - 1]!), 'events in log order');
      await client.request('terminal/kill', { terminalId: terminal.id });
      await waitUntil(() => exited !== undefined, 'terminal/exited');
      assert.equal(exited!.reason, 'killed');
      assert.equal(exited!.outputSeq, now.outputSeq, 'nothing more after the marker');

      peakRssKb = Math.max(peakRssKb, rssKb(daemonPid));
      t.diagnostic(`${blocks} blocks, ${chars} characters in ${chunkSeqs.length} chunks; daemon peak RSS ${Math.round(peakRssKb / 1024)} MB`);
      assert.ok(peakRssKb > 0, 'RSS was sampled');
      assert.ok(peakRssKb < RSS_BOUND_KB, `the daemon's peak RSS stayed under ${RSS_BOUND_KB / 1024} MB (${Math.round(peakRssKb / 1024)} MB)`);
      assert.deepEqual(setup.orchd.frames.problems, [], 'stdout carried only valid frames');
    } finally {
      clearInterval(sampler);
      rmSync(join(stopFile, '..'), { recursive: true, force: true });
      await tearDown(setup);
    }
  });

  it('after SIGKILL of the daemon, the next start kills the leftover terminal and marks it exited with the reason', { timeout: FLOOD_MS }, async () => {
    const dataDir = tempDir('orchd-terminal-crash-');
    const first = await setUp({ dataDir });
    let second: Setup | undefined;
    let leftovers: { pid: number; cmdline: string }[] = [];
    try {
      const ws = await first.workspace('Crash');
      // The PTY's hangup at the daemon's death would end a shell by itself: this one ignores SIGHUP, as a program
      // started with nohup would, so only recovery can end it.
      const { terminal } = await first.orchd.client.request('terminal/create', { workspaceId: ws.id, command: '/bin/sh', args: ['-c', "trap '' HUP; sleep 1000"], cols: 80, rows: 24 });
      const leader = terminal.pid!;
      assert.ok(leader > 0);
      await waitUntil(() => groupMembers(leader).some((m) => m.cmdline === 'sleep 1000'), '`sleep 1000` to run in the terminal');
      assert.equal((await first.orchd.client.request('daemon/status', {})).daemon.processes.terminals, 1);

      const firstPid = first.orchd.child.pid!;
      first.orchd.child.kill('SIGKILL');
      await first.orchd.exited;
      leftovers = groupMembers(leader);
      assert.ok(
        leftovers.some((m) => m.cmdline === 'sleep 1000'),
        `the terminal's processes outlived the daemon (${JSON.stringify(leftovers)})`,
      );

      second = await setUp({ dataDir });
      // Every request after initialize waits for start-up repair.
      const { terminal: recovered } = await second.orchd.client.request('terminal/get', { terminalId: terminal.id });
      assert.equal(recovered.status, 'exited');
      assert.equal(recovered.reason, `orchd (pid ${firstPid}) stopped while this ran; its leftover process group was killed`);
      assert.match(recovered.reason ?? '', /stopped while this ran/);
      assert.ok(recovered.endedAt);
      for (const { pid, cmdline } of leftovers) await waitForProcessExit(pid, `leftover \`${cmdline}\``, EXIT_MS);
      assert.deepEqual(groupMembers(leader), [], 'nothing of the group is left');
      assert.equal((await second.orchd.client.request('daemon/status', {})).daemon.processes.terminals, 0);
      const { terminals } = await second.orchd.client.request('terminal/list', { status: 'running' });
      assert.deepEqual(terminals, []);
    } finally {
      for (const { pid } of leftovers) if (!processGone(pid)) process.kill(pid, 'SIGKILL');
      await first.orchd.close({ keepDataDir: true });
      rmSync(first.repo, { recursive: true, force: true });
      if (second) await tearDown(second);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  describe('on one daemon', () => {
    let setup: Setup;
    before(async () => {
      setup = await setUp();
    });
    after(() => tearDown(setup));

    it('daemon/status counts a running terminal, and stops counting it once it has exited', async () => {
      const { client } = setup.orchd;
      const ws = await setup.workspace('Status');
      const before = (await client.request('daemon/status', {})).daemon.processes.terminals;
      const { terminal } = await client.request('terminal/create', { workspaceId: ws.id, command: '/bin/sh', args: ['-c', 'sleep 1000'], cols: 80, rows: 24 });
      assert.equal((await client.request('daemon/status', {})).daemon.processes.terminals, before + 1);
      const { terminal: killed } = await client.request('terminal/kill', { terminalId: terminal.id });
      assert.equal(killed.status, 'exited');
      assert.equal((await client.request('daemon/status', {})).daemon.processes.terminals, before);
    });

    it("workspace/delete ends the workspace's terminals, their whole process groups, with the reason", async () => {
      const { client } = setup.orchd;
      const ws = await setup.workspace('Delete');
      const { terminal } = await client.request('terminal/create', { workspaceId: ws.id, command: '/bin/sh', args: ['-c', 'sleep 1000 & sleep 1001'], cols: 80, rows: 24 });
      const leader = terminal.pid!;
      await waitUntil(() => ['sleep 1000', 'sleep 1001'].every((c) => groupMembers(leader).some((m) => m.cmdline === c)), 'both sleeps to run in the terminal');
      const members = groupMembers(leader);
      const before = (await client.request('daemon/status', {})).daemon.processes.terminals;

      await client.request('workspace/delete', { workspaceId: ws.id });
      const { terminal: ended } = await client.request('terminal/get', { terminalId: terminal.id });
      assert.equal(ended.status, 'exited');
      assert.equal(ended.reason, 'workspace deleted');
      for (const { pid, cmdline } of members) await waitForProcessExit(pid, `\`${cmdline}\` of the deleted workspace's terminal`, EXIT_MS);
      assert.equal((await client.request('daemon/status', {})).daemon.processes.terminals, before - 1);
      const { terminals } = await client.request('terminal/list', { workspaceId: ws.id });
      assert.deepEqual(terminals.map((t) => [t.id, t.status]), [[terminal.id, 'exited']]);
      // The workspace is gone: no terminal can start in it.
      assert.equal((await client.failure('terminal/create', { workspaceId: ws.id, cols: 80, rows: 24 })).data.kind, 'notFound');
    });

    it('refuses an unknown workspace with notFound', async () => {
      const failure = await setup.orchd.client.failure('terminal/create', { workspaceId: 'wsp_0000000000000000000000000', cols: 80, rows: 24 });
      assert.equal(failure.data.kind, 'notFound');
      assert.match(failure.message, /wsp_0000000000000000000000000/);
    });

    it('refuses a command that cannot start, naming `command`, and records the terminal exited', async () => {
      const { client } = setup.orchd;
      const ws = await setup.workspace('Bad command');
      for (const command of ['orchd-test-no-such-program', '/nonexistent/orchd-test-program']) {
        const failure = await client.failure('terminal/create', { workspaceId: ws.id, command, cols: 80, rows: 24 });
        assert.equal(failure.data.kind, 'invalidState', command);
        assert.match(failure.message, /`command`/);
        assert.equal(failure.data.field, 'command');
      }
      const { terminals } = await client.request('terminal/list', { workspaceId: ws.id });
      assert.deepEqual(
        terminals.map((t) => [t.command, t.status, t.pid]),
        [
          ['orchd-test-no-such-program', 'exited', null],
          ['/nonexistent/orchd-test-program', 'exited', null],
        ],
      );
      for (const t of terminals) assert.match(t.reason ?? '', /^could not start: /);
    });
  });
});
