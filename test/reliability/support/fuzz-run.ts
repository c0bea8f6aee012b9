// The frame and params fuzzer: drives the built daemon over raw stdio with seeded episodes of good, bad and
// mutated frames written whole, merged or split, and reports every broken promise (an unanswered or twice-answered
// request, a malformed reply, an internal error, a byte on stdout outside a frame, a daemon that stops serving).
import { realpathSync, rmSync } from 'node:fs';
import { frame } from '../../support/frames.js';
import { tempDir } from '../../support/client.js';
import { makeRepo } from '../../support/repo.js';
import { createRng, type Rng } from './prng.js';
import { entity, idKey, RawDaemon, type RequestId, type RpcReply } from './raw-daemon.js';
import { generate, harvestIds, loadMethods, mutate, UNICODE_STRINGS, type FuzzPools, type MethodInfo } from './schema-fuzz.js';
import { rssKb } from './proc.js';

/** How long any single reply may take (a busy 2-CPU machine; git work behind some requests). */
export const FUZZ_REPLY_TIMEOUT_MS = 60_000;
/** The largest Content-Length the daemon accepts (src/server/framing.ts DEFAULT_MAX_MESSAGE_BYTES). */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
const INTERNAL_ERROR = -32603;

export interface FuzzOptions {
  seed: number;
  /** How many frames (units) to send after initialize. */
  frames: number;
  /** How many frames with a Content-Length above the limit (each one writes that many bytes). */
  hugeFrames?: number;
  /** Leave out the frames of the known, already reported lock-ups (null ids in `$/cancelRequest`). */
  skipKnown?: boolean;
  /** Progress lines (chaos prints them). */
  log?: (line: string) => void;
}

export interface FuzzFinding {
  kind: 'internal' | 'unanswered' | 'duplicateReply' | 'malformedReply' | 'unexpectedReply' | 'stdout' | 'notServing' | 'died' | 'badExit';
  detail: string;
}

export interface FuzzReport {
  seed: number;
  framesSent: number;
  requestsCounted: number;
  repliesReceived: number;
  errorsByKind: Record<string, number>;
  findings: FuzzFinding[];
  peakRssKb: number;
  durationMs: number;
}

interface Unit {
  kind: string;
  description: string;
  bytes: Buffer;
  /** A request with a string or number id that must get exactly one reply. */
  expect?: { id: RequestId; method: string };
  /** An id inside a frame the reader may or may not serve (a lying header): at most one reply. */
  mayReply?: RequestId;
}

interface Expected {
  method: string;
  description: string;
  episode: number;
}

/** Frame raw bytes (not necessarily UTF-8 or JSON) with a correct Content-Length. */
function frameBytes(body: Buffer | string, header = (length: number) => `Content-Length: ${length}\r\n\r\n`): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return Buffer.concat([Buffer.from(header(bytes.length), 'ascii'), bytes]);
}

function excerpt(value: unknown, max = 240): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : JSON.stringify(value);
  } catch {
    text = String(value);
  }
  if (text === undefined) return 'undefined';
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

/** Random bytes with no CR (so they never form a header end) and never `Content-Length:`. */
function garbageBytes(rng: Rng, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    let b = rng.int(0, 255);
    if (b === 0x0d) b = 0x0a;
    bytes[i] = b;
  }
  return bytes;
}

class UnitFactory {
  private counter = 0;
  readonly recentIds: RequestId[] = [];
  private readonly requestMethods: MethodInfo[];
  private readonly notificationMethods: MethodInfo[];

  constructor(
    private readonly rng: Rng,
    private readonly methods: MethodInfo[],
    private readonly pools: FuzzPools,
    private readonly skipKnown: boolean,
  ) {
    // `shutdown` is sent only at the end and `exit` never as a notification: both end the run by design, and so does
    // `daemon/stop` (its own tests are in test/inproc/daemon.test.ts).
    this.requestMethods = methods.filter((m) => m.name !== 'shutdown' && m.name !== 'daemon/stop');
    this.notificationMethods = methods.filter((m) => m.name !== 'exit');
  }

  /** A unique id: numbers (also negative and fractional) and strings (also numeric-looking and unicode). */
  private newId(): RequestId {
    const n = ++this.counter;
    const id = this.rng.pick<() => RequestId>([
      () => n,
      () => n,
      () => n,
      () => -n,
      () => n + 0.5,
      () => `${n}`,
      () => `id-${n}`,
      () => `id-${n}-${this.rng.pick(UNICODE_STRINGS)}`,
    ])();
    this.recentIds.push(id);
    if (this.recentIds.length > 50) this.recentIds.shift();
    return id;
  }

  /** Params for a method: usually generated from its schema, often mutated. */
  private paramsFor(method: MethodInfo): { params: unknown; how: string } {
    const valid = generate(method.params, this.rng, this.pools);
    if (this.rng.chance(0.6)) {
      const { params, mutation } = mutate(valid, this.rng);
      return { params, how: mutation };
    }
    return { params: valid, how: 'generated' };
  }

  request(methods = this.requestMethods): Unit {
    const method = this.rng.pick(methods);
    const id = this.newId();
    const { params, how } = this.paramsFor(method);
    const message: Record<string, unknown> = { jsonrpc: '2.0', id, method: method.name };
    if (params !== undefined && !this.rng.chance(0.05)) message.params = params;
    const body = JSON.stringify(message);
    return { kind: 'request', description: `request ${method.name} (${how}) ${excerpt(body)}`, bytes: frame(body), expect: { id, method: method.name } };
  }

  notification(): Unit {
    const method = this.rng.pick(this.notificationMethods);
    const { params, how } = this.paramsFor(method);
    const message: Record<string, unknown> = { jsonrpc: '2.0', method: method.name };
    if (params !== undefined) message.params = params;
    const body = JSON.stringify(message);
    return { kind: 'notification', description: `notification ${method.name} (${how}) ${excerpt(body)}`, bytes: frame(body) };
  }

  cancel(): Unit {
    const variants: [string, unknown, boolean][] = [
      ['recent id', { id: this.recentIds.length ? this.rng.pick(this.recentIds) : 1 }, false],
      ['unknown id', { id: `nope-${this.counter}` }, false],
      ['missing id', {}, false],
      ['object id', { id: {} }, false],
      ['array id', { id: [1] }, false],
      ['string params', 'x', false],
      ['id null', { id: null }, true],
      ['params null', null, true],
    ];
    const usable = this.skipKnown ? variants.filter((v) => !v[2]) : variants;
    const [what, params] = this.rng.pick(usable);
    const body = JSON.stringify({ jsonrpc: '2.0', method: '$/cancelRequest', params });
    return { kind: 'cancel', description: `$/cancelRequest (${what}) ${body}`, bytes: frame(body) };
  }

  nullId(): Unit {
    const method = this.rng.pick(this.requestMethods);
    const { params } = this.paramsFor(method);
    const body = JSON.stringify({ jsonrpc: '2.0', id: null, method: method.name, params });
    return { kind: 'nullId', description: `request with id null ${excerpt(body)}`, bytes: frame(body) };
  }

  invalidJson(): Unit {
    const bodies: (Buffer | string)[] = ['{', '{"jsonrpc":"2.0","id":', 'nul', 'undefined', "{'single':1}", '{"a":1,}', '\u0000', '{"jsonrpc":"2.0","id":1,"method":"x"}trailing', '"unterminated', '[1,2', ''];
    const body = this.rng.chance(0.3) ? garbageBytes(this.rng, this.rng.int(1, 300)) : this.rng.pick(bodies);
    return { kind: 'invalidJson', description: `invalid JSON body ${excerpt(body.toString())}`, bytes: frameBytes(body) };
  }

  nonRpc(): Unit {
    const n = ++this.counter + 0;
    const counted: [string, RequestId][] = [
      [`{"jsonrpc":"1.0","id":${n},"method":"project/list"}`, n],
      [`{"id":${n},"method":"project/list"}`, n],
      [`{"jsonrpc":"2.0","id":${n}}`, n],
      [`{"jsonrpc":"2.0","id":${n},"method":42}`, n],
      [`{"jsonrpc":"2.0","id":"s${n}","method":"project/list","params":"str"}`, `s${n}`],
      [`{"jsonrpc":"2.0","id":${n},"method":"project/list","params":7}`, n],
      [`{"jsonrpc":2,"id":${n},"method":"project/list"}`, n],
    ];
    const uncounted = ['{}', '[]', '1', '"x"', 'null', 'true', `[{"jsonrpc":"2.0","id":${n},"method":"project/list"}]`, `{"jsonrpc":"2.0","id":${n},"result":1}`, `{"jsonrpc":"2.0","id":${n},"error":{"code":1,"message":"x"}}`, '{"jsonrpc":"2.0","id":{"a":1},"method":"project/list"}', '{"jsonrpc":"2.0","id":[1],"method":"project/list"}', '{"jsonrpc":"2.0","id":true,"method":"project/list"}'];
    if (this.rng.chance(0.5)) {
      const [body, id] = this.rng.pick(counted);
      return { kind: 'nonRpc', description: `not JSON-RPC (counted) ${body}`, bytes: frame(body), expect: { id, method: '(invalid request)' } };
    }
    const body = this.rng.pick(uncounted);
    return { kind: 'nonRpc', description: `not JSON-RPC ${body}`, bytes: frame(body) };
  }

  /** Frames whose header lies: short, long (followed by filler), missing, non-numeric; plus valid header variants. */
  badLength(): Unit {
    const inner = this.request();
    const body = inner.bytes.subarray(inner.bytes.indexOf('\r\n\r\n') + 4);
    const length = body.length;
    const variant = this.rng.pick(['short', 'long', 'missing', 'nonNumeric', 'zero', 'duplicate', 'lowercase', 'contentType', 'noSpace', 'noColonLine', 'lfOnly']);
    const description = `${variant} Content-Length around ${inner.description}`;
    const unit = this.badLengthUnit(variant, description, body, length, inner);
    return unit.expect ? unit : { ...unit, mayReply: inner.expect!.id };
  }

  private badLengthUnit(variant: string, description: string, body: Buffer, length: number, inner: Unit): Unit {
    switch (variant) {
      case 'short':
        return { kind: 'badLength', description, bytes: frameBytes(body, () => `Content-Length: ${this.rng.int(1, Math.max(1, length - 1))}\r\n\r\n`) };
      case 'long': {
        const extra = this.rng.int(1, 200);
        return { kind: 'badLength', description, bytes: Buffer.concat([frameBytes(body, () => `Content-Length: ${length + extra}\r\n\r\n`), Buffer.alloc(extra, 'x')]) };
      }
      case 'missing':
        return { kind: 'badLength', description, bytes: frameBytes(body, () => 'Content-Type: application/json\r\n\r\n') };
      case 'nonNumeric': {
        const value = this.rng.pick(['abc', '-5', '1e3', '0x10', '99999999999999999999', '', '12 34', '١٢']);
        return { kind: 'badLength', description: `${description} (\`${value}\`)`, bytes: frameBytes(body, () => `Content-Length: ${value}\r\n\r\n`) };
      }
      case 'zero':
        return { kind: 'badLength', description, bytes: Buffer.from('Content-Length: 0\r\n\r\n') };
      case 'duplicate':
        return { kind: 'badLength', description, bytes: frameBytes(body, (l) => `Content-Length: ${this.rng.int(0, 9)}\r\nContent-Length: ${l}\r\n\r\n`) };
      case 'lowercase':
        return { kind: 'headerVariant', description, bytes: frameBytes(body, (l) => `content-length: ${l}\r\n\r\n`), expect: inner.expect! };
      case 'contentType':
        return { kind: 'headerVariant', description, bytes: frameBytes(body, (l) => `Content-Length: ${l}\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n`), expect: inner.expect! };
      case 'noSpace':
        return { kind: 'headerVariant', description, bytes: frameBytes(body, (l) => `Content-Length:${l}\r\n\r\n`), expect: inner.expect! };
      case 'noColonLine':
        return { kind: 'badLength', description, bytes: frameBytes(body, (l) => `this line has no colon\r\nContent-Length: ${l}\r\n\r\n`) };
      default:
        return { kind: 'badLength', description, bytes: frameBytes(body, (l) => `Content-Length: ${l}\n\n`) };
    }
  }

  garbage(): Unit {
    const long = this.rng.chance(0.2);
    const bytes = long ? Buffer.alloc(this.rng.int(8200, 12_000), 'A') : garbageBytes(this.rng, this.rng.int(1, 3000));
    return { kind: 'garbage', description: `${bytes.length} bytes of ${long ? 'header without end' : 'random bytes'}`, bytes };
  }

  /** One unit drawn with fixed weights. */
  any(): Unit {
    const r = this.rng.next();
    if (r < 0.5) return this.request();
    if (r < 0.58) return this.notification();
    if (r < 0.66) return this.cancel();
    if (r < 0.7) return this.nullId();
    if (r < 0.78) return this.invalidJson();
    if (r < 0.86) return this.nonRpc();
    if (r < 0.95) return this.badLength();
    return this.garbage();
  }
}

/** Write an episode's bytes whole, split at random points, or (when small) byte by byte. */
async function writeEpisode(daemon: RawDaemon, rng: Rng, bytes: Buffer): Promise<string> {
  const mode = bytes.length < 4096 && rng.chance(0.1) ? 'bytes' : rng.pick(['one', 'one', 'split', 'split']);
  if (mode === 'one') {
    await daemon.write(bytes);
    return mode;
  }
  const cuts = new Set<number>();
  if (mode === 'bytes') for (let i = 1; i < bytes.length; i++) cuts.add(i);
  else for (let i = rng.int(1, 24); i > 0; i--) cuts.add(rng.int(1, Math.max(1, bytes.length - 1)));
  let from = 0;
  let writes = 0;
  for (const at of [...cuts].sort((a, b) => a - b).concat(bytes.length)) {
    if (at <= from) continue;
    await daemon.write(bytes.subarray(from, at));
    from = at;
    if (++writes % 16 === 0 || mode === 'split') await new Promise((r) => setImmediate(r));
  }
  return mode;
}

/** Check one reply's shape; returns a problem or undefined. */
function replyProblem(reply: RpcReply): string | undefined {
  const hasResult = 'result' in reply;
  const hasError = 'error' in reply;
  if (hasResult === hasError) return `expected exactly one of \`result\` and \`error\`, got ${excerpt(reply)}`;
  if (hasError) {
    const error = reply.error as any;
    if (!error || !Number.isInteger(error.code)) return `expected an integer \`error.code\`, got ${excerpt(reply)}`;
    if (typeof error.message !== 'string') return `expected a string \`error.message\`, got ${excerpt(reply)}`;
    if (!error.data || typeof error.data.kind !== 'string') return `expected a string \`error.data.kind\`, got ${excerpt(reply)}`;
  }
  return undefined;
}

/** Run the fuzzer against a fresh daemon and data directory; the report lists every finding. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const rng = createRng(options.seed);
  const log = options.log ?? (() => {});
  const workDir = tempDir('orchd-fuzz-');
  const dataDir = tempDir('orchd-fuzz-data-');
  const repoPath = realpathSync(makeRepo({ 'README.md': '# fuzz\n', 'src/a.txt': 'a\n' }));
  const agentHome = tempDir('orchd-fuzz-agent-');
  const daemon = new RawDaemon({ dataDir, cwd: workDir, env: { FAKE_AGENT_HOME: agentHome } });
  const findings: FuzzFinding[] = [];
  const expected = new Map<string, Expected>();
  const mayReply = new Map<string, string>();
  const ids = new Set<string>();
  const pools: FuzzPools = { ids: [], repoPath };
  const factory = new UnitFactory(rng, loadMethods(), pools, options.skipKnown ?? false);
  let framesSent = 0;
  let peakRssKb = 0;
  const sampler = setInterval(() => (peakRssKb = Math.max(peakRssKb, rssKb(daemon.pid))), 100);
  sampler.unref();

  const sendEpisode = async (episode: number, units: Unit[]): Promise<boolean> => {
    for (const unit of units) {
      if (unit.mayReply !== undefined) mayReply.set(idKey(unit.mayReply), unit.description);
      if (!unit.expect) continue;
      const key = idKey(unit.expect.id);
      if (expected.has(key)) throw new Error(`the fuzzer reused id ${key}`);
      expected.set(key, { method: unit.expect.method, description: unit.description, episode });
    }
    // Every episode ends with a barrier request: when it is answered, the reader has digested the episode.
    const barrier = daemon.freshId();
    const bytes = Buffer.concat([...units.map((u) => u.bytes), frame({ jsonrpc: '2.0', id: barrier, method: 'project/list', params: {} })]);
    if (process.env.ORCHD_FUZZ_VERBOSE === '1') log(`episode ${episode}:\n${units.map((u, i) => `  ${i + 1}. ${u.description}`).join('\n')}`);
    const episodeStarted = Date.now();
    const mode = await writeEpisode(daemon, rng, bytes);
    framesSent += units.length;
    try {
      const reply = await daemon.waitForReply(barrier, FUZZ_REPLY_TIMEOUT_MS, `the barrier after episode ${episode}`);
      if (process.env.ORCHD_FUZZ_VERBOSE === '1') log(`episode ${episode}: ${mode}, ${bytes.length} bytes, barrier after ${Date.now() - episodeStarted} ms`);
      daemon.replies.delete(idKey(barrier));
      if (reply.error && reply.error.data?.kind !== 'notInitialized') findings.push({ kind: 'notServing', detail: `barrier \`project/list\` after episode ${episode} failed: ${excerpt(reply)}` });
      return true;
    } catch {
      const what = daemon.alive ? 'notServing' : 'died';
      findings.push({
        kind: what,
        detail:
          `no reply to the barrier after episode ${episode} (written ${mode}, ${bytes.length} bytes); the episode was:\n` +
          units.map((u, i) => `  ${i + 1}. ${u.description}`).join('\n') +
          `\n--- orchd stderr (tail) ---\n${daemon.stderrTail(3000)}`,
      });
      return false;
    }
  };

  let episode = 0;
  let serving = true;
  try {
    await fuzzDaemon();
  } catch (error) {
    // A bug in the fuzzer itself: never leave the daemon behind.
    clearInterval(sampler);
    await daemon.kill();
    for (const dir of [workDir, dataDir, repoPath, agentHome]) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  async function fuzzDaemon(): Promise<void> {
  try {
    // Before initialize: everything but initialize must be refused with a reply.
    const preInit = Array.from({ length: 20 }, () => factory.request(loadMethods().filter((m) => m.name !== 'initialize' && m.name !== 'shutdown' && m.name !== 'daemon/stop')));
    serving = await sendEpisode(++episode, preInit);
    if (serving) {
      await daemon.initialize();
      // Real things for params to name.
      const project = entity(await daemon.request('project/create', { name: 'fuzz', repositories: [{ path: repoPath }] }), 'project');
      const task = entity(await daemon.request('task/create', { projectId: project.id, title: 'fuzz task' }), 'task');
      const workspace = entity(await daemon.request('workspace/create', { taskId: task.id }), 'workspace');
      await daemon.request('events/subscribe', { sinceSeq: 0 });
      for (const value of [project, task, workspace]) harvestIds(value, ids);
      pools.ids = [...ids];
    }
    let hugeLeft = options.hugeFrames ?? 0;
    const hugeEvery = hugeLeft ? Math.max(1, Math.floor(options.frames / (hugeLeft + 1))) : Infinity;
    let nextHugeAt = hugeEvery;
    let lastLogged = 0;
    while (serving && framesSent < options.frames) {
      const size = Math.min(rng.int(1, 40), options.frames - framesSent);
      const units = Array.from({ length: size }, () => factory.any());
      if (hugeLeft > 0 && framesSent >= nextHugeAt) {
        hugeLeft--;
        nextHugeAt += hugeEvery;
        // Too big to read: announced, then actually sent, so the skip ends where the next frame starts.
        const declared = MAX_MESSAGE_BYTES + rng.int(1, 4096);
        await daemon.write(`Content-Length: ${declared}\r\n\r\n`);
        const chunk = Buffer.alloc(1024 * 1024, 'a');
        for (let left = declared; left > 0; left -= chunk.length) await daemon.write(left >= chunk.length ? chunk : chunk.subarray(0, left));
        framesSent++;
      }
      serving = await sendEpisode(++episode, units);
      // Learn ids from results, so later params name things that exist.
      for (const list of daemon.replies.values()) for (const reply of list) harvestIds(reply.result, ids);
      pools.ids = [...ids].slice(-200);
      if (framesSent - lastLogged >= 5000) {
        lastLogged = framesSent;
        log(`fuzz: ${framesSent}/${options.frames} frames, ${expected.size} requests, peak RSS ${Math.round(peakRssKb / 1024)} MB`);
      }
    }

    // Every counted request must be answered (slow handlers may still be running).
    const deadline = Date.now() + FUZZ_REPLY_TIMEOUT_MS;
    while (serving && Date.now() < deadline && [...expected.keys()].some((key) => !daemon.replies.get(key)?.length) && daemon.alive) {
      await new Promise((r) => setTimeout(r, 50));
    }

    // A known-good request at the end.
    if (daemon.alive) {
      try {
        const list = await daemon.request('project/list', {}, FUZZ_REPLY_TIMEOUT_MS);
        if (!Array.isArray(list?.projects)) findings.push({ kind: 'notServing', detail: `\`project/list\` at the end returned ${excerpt(list)}` });
      } catch (error) {
        findings.push({ kind: 'notServing', detail: `\`project/list\` at the end failed: ${(error as Error).message}` });
      }
    }
  } finally {
    clearInterval(sampler);
  }
  }

  // Audit every reply.
  const errorsByKind: Record<string, number> = {};
  let repliesReceived = 0;
  const internalSeen = new Set<string>();
  for (const [key, list] of daemon.replies) {
    repliesReceived += list.length;
    for (const reply of list) {
      const problem = replyProblem(reply);
      if (problem) findings.push({ kind: 'malformedReply', detail: problem });
      if (reply.error) {
        const kind = String(reply.error.data?.kind ?? reply.error.code);
        errorsByKind[kind] = (errorsByKind[kind] ?? 0) + 1;
      }
    }
    if (key === 'null') continue;
    const sent = expected.get(key);
    if (!sent && mayReply.has(key)) {
      if (list.length > 1) findings.push({ kind: 'duplicateReply', detail: `${list.length} replies to ${key} (${mayReply.get(key)})` });
      continue;
    }
    if (!sent) {
      findings.push({ kind: 'unexpectedReply', detail: `a reply to id ${key}, which no counted request used: ${excerpt(list[0])}` });
      continue;
    }
    if (list.length > 1) findings.push({ kind: 'duplicateReply', detail: `${list.length} replies to ${key} (${sent.description}): ${list.map((r) => excerpt(r, 120)).join(' | ')}` });
    const internal = list.find((r) => r.error?.code === INTERNAL_ERROR);
    if (internal) {
      const signature = `${sent.method}: ${internal.error!.message}`;
      if (!internalSeen.has(signature)) {
        internalSeen.add(signature);
        findings.push({ kind: 'internal', detail: `-32603 from ${sent.description}\n    → ${excerpt(internal.error, 400)}` });
      }
    }
  }
  for (const [key, sent] of expected) {
    if (!daemon.replies.get(key)?.length) findings.push({ kind: 'unanswered', detail: `no reply to ${JSON.stringify(key)} (episode ${sent.episode}): ${sent.description}` });
  }
  for (const problem of daemon.frames.problems) findings.push({ kind: 'stdout', detail: problem });
  for (const strange of daemon.strangeFrames) findings.push({ kind: 'stdout', detail: `a frame that is neither a reply nor a notification: ${excerpt(strange)}` });

  // The daemon must end cleanly on shutdown + exit.
  const wasAlive = daemon.alive;
  const exit = await daemon.stop(FUZZ_REPLY_TIMEOUT_MS);
  if (!wasAlive) findings.push({ kind: 'died', detail: `the daemon exited during the run (${JSON.stringify(exit)})\n${daemon.stderrTail(3000)}` });
  else if (exit.code !== 0) findings.push({ kind: 'badExit', detail: `shutdown + exit ended the daemon with ${JSON.stringify(exit)}` });
  if (daemon.frames.pendingBytes() !== 0) findings.push({ kind: 'stdout', detail: `${daemon.frames.pendingBytes()} bytes of an incomplete frame at exit` });

  for (const dir of [workDir, dataDir, repoPath, agentHome]) rmSync(dir, { recursive: true, force: true });
  return {
    seed: options.seed,
    framesSent,
    requestsCounted: expected.size,
    repliesReceived,
    errorsByKind,
    findings,
    peakRssKb,
    durationMs: Date.now() - started,
  };
}

/** A failure message that lists findings (grouped, at most `max` per kind) and how to replay the run. */
export function describeFindings(report: FuzzReport, max = 8): string {
  const byKind = new Map<string, FuzzFinding[]>();
  for (const finding of report.findings) byKind.set(finding.kind, [...(byKind.get(finding.kind) ?? []), finding]);
  const lines = [`fuzz seed ${report.seed} (replay: ORCHD_FUZZ_SEED=${report.seed}), ${report.framesSent} frames, ${report.requestsCounted} counted requests, ${report.findings.length} findings`];
  for (const [kind, list] of byKind) {
    lines.push(`${kind}: ${list.length}`);
    for (const finding of list.slice(0, max)) lines.push(`  - ${finding.detail}`);
  }
  return lines.join('\n');
}
