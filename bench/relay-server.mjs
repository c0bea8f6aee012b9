// Baseline for the flood benchmark: the least a server can do with an agent's output and still deliver it to a host.
// It answers `initialize` and `echo` like bench/echo-server.mjs, and on `relay` starts the flooding agents and sends
// their output to the host as orchd would, with none of orchd's work (no database, no normalizer): per stdout chunk
// one `execution/output` event carrying the chunk, per line one `session/entryUpserted` event with the message's text,
// both shaped and sized like orchd's. At most `eventsPerSecond` events in all (the rate orchd reached in the same run),
// and no more than 64 KB waiting in stdout (orchd pauses a subscription at the same bound).
// Frames are read and written by hand, one write per frame, so that nothing queues out of sight of that bound.
import { spawn } from 'node:child_process';

const HIGH_WATER = 64 * 1024;
const LOW_WATER = 16 * 1024;

// RELAY_BURN_US (an experiment, docs/benchmarks.md): spend this much CPU per event before sending it, in turns of at
// most 1 ms (as orchd slices its work), so the relay keeps a core as busy as orchd does while it delivers.
const BURN_US = Number(process.env.RELAY_BURN_US ?? 0);
const SLICE_MS = 1;
const queued = [];
let pumping = false;
function pump() {
  pumping = false;
  const until = performance.now() + SLICE_MS;
  while (queued.length && performance.now() < until) {
    const spinUntil = performance.now() + BURN_US / 1000;
    while (performance.now() < spinUntil);
    write(queued.shift());
  }
  if (queued.length) schedule();
  else resume();
}
function schedule() {
  if (pumping) return;
  pumping = true;
  setImmediate(pump);
}

function send(message) {
  if (BURN_US && message.method) {
    queued.push(message);
    schedule();
    return;
  }
  write(message);
}

function write(message) {
  const body = JSON.stringify(message);
  process.stdout.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

const agents = [];
let seq = 0;
let started = 0;
let budget = Infinity;
const ids = { projectId: 'prj_01m94j5q17c45vaqmynf6vrcvg', taskId: 'tsk_01m94j5q1e6vk23rvx63mcvfag', workspaceId: 'ws_01m94j5q1g5t4j7159s1vc6rhp' };

/** Pause every agent while the host is behind or the rate is spent; resume once both allow. */
function throttle() {
  const behind = process.stdout.writableLength > HIGH_WATER || queued.length > 1000 || seq > budget * ((performance.now() - started) / 1000);
  for (const agent of agents) {
    if (behind && !agent.paused) {
      agent.paused = true;
      agent.stdout.pause();
    }
  }
}
function resume() {
  if (process.stdout.writableLength > LOW_WATER || queued.length > 250 || seq > budget * ((performance.now() - started) / 1000)) return;
  for (const agent of agents) {
    if (agent.paused) {
      agent.paused = false;
      agent.stdout.resume();
    }
  }
}
process.stdout.on('drain', resume);

function relay({ command, args, cwd, env, count, eventsPerSecond }) {
  budget = eventsPerSecond;
  started = performance.now();
  setInterval(resume, 1).unref();
  for (let i = 0; i < count; i++) {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    const executionId = `exe_01m94j5vkkeq6w0et6dtmtyf${String(i).padStart(2, '0')}`;
    const sessionId = `ses_01m94j5vkgxp8zj7h59t507k${String(i).padStart(2, '0')}`;
    const scope = { ...ids, sessionId, executionId };
    const agent = { stdout: child.stdout, paused: false, pid: child.pid };
    let rest = '';
    let chunks = 0;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      const at = new Date().toISOString();
      const lines = (rest + chunk).split('\n');
      rest = lines.pop();
      send({ jsonrpc: '2.0', method: 'events/event', params: { subscriptionId: 'relay', event: { seq: ++seq, kind: 'execution/output', at, data: { executionId, seq: ++chunks, stream: 'stdout', text: chunk }, ...scope } } });
      for (const line of lines) {
        let message = {};
        try {
          message = JSON.parse(line).message ?? {};
        } catch {
          // not JSON: an entry with no text
        }
        const entry = { id: `${executionId}/${message.id}:0`, type: 'assistantMessage', text: message.content?.[0]?.text ?? '', executionId };
        send({ jsonrpc: '2.0', method: 'events/event', params: { subscriptionId: 'relay', event: { seq: ++seq, kind: 'session/entryUpserted', at, data: { sessionId, entry }, ...scope } } });
      }
      throttle();
    });
    agents.push(agent);
  }
  return { pids: agents.map((agent) => agent.pid) };
}

function handle(message) {
  if (message.method === 'exit') process.exit(0);
  if (message.id === undefined) return;
  let result = null;
  if (message.method === 'initialize') result = { serverInfo: { name: 'relay', version: '0' }, protocolVersion: 1, capabilities: {} };
  else if (message.method === 'echo') result = message.params ?? null;
  else if (message.method === 'relay') result = relay(message.params);
  send({ jsonrpc: '2.0', id: message.id, result });
}

let buffer = Buffer.alloc(0);
process.stdin.on('data', (chunk) => {
  buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
  for (;;) {
    const headerEnd = buffer.indexOf('\r\n\r\n');
    if (headerEnd < 0) return;
    const length = Number(/Content-Length: (\d+)/i.exec(buffer.subarray(0, headerEnd).toString('latin1'))?.[1]);
    if (buffer.length < headerEnd + 4 + length) return;
    const body = buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8');
    buffer = buffer.subarray(headerEnd + 4 + length);
    handle(JSON.parse(body));
  }
});
process.stdin.on('end', () => process.exit(0));
