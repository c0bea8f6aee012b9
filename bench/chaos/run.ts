// `npm run chaos`: the reliability suites of test/reliability at scale (not in CI). Prints one line of counts at the
// end: crashes, unanswered requests, lost acknowledged events, orphans, integrity failures, peak RSS.
// Scale with flags or env: --frames / CHAOS_FRAMES, --rounds / CHAOS_ROUNDS, --stall-lines / CHAOS_STALL_LINES,
// --stall-ms / CHAOS_STALL_MS, --seed / ORCHD_FUZZ_SEED (default random), --only fuzz|crash|stall|host.
import { parseArgs } from 'node:util';
import { createRng, intFromEnv, seedFromEnv } from '../../test/reliability/support/prng.js';
import { describeFindings, runFuzz } from '../../test/reliability/support/fuzz-run.js';
import { roundProblems, runCrashRound } from '../../test/reliability/support/crash-round.js';
import { runStalledSubscriber } from '../../test/reliability/support/stalled-subscriber.js';
import { HOST_DEATH_EXIT_BOUND_MS, MAX_CPU_MS_WHILE_ORPHANED, runHostDeath } from '../../test/reliability/support/host-death.js';

const { values } = parseArgs({
  options: {
    frames: { type: 'string' },
    rounds: { type: 'string' },
    'stall-lines': { type: 'string' },
    'stall-ms': { type: 'string' },
    'stall-flood-mb': { type: 'string' },
    seed: { type: 'string' },
    only: { type: 'string', multiple: true },
  },
});
const num = (flag: string | undefined, env: string, fallback: number) => (flag !== undefined ? Number(flag) : intFromEnv(env, fallback));
const frames = num(values.frames, 'CHAOS_FRAMES', 100_000);
const rounds = num(values.rounds, 'CHAOS_ROUNDS', 100);
const stallLines = num(values['stall-lines'], 'CHAOS_STALL_LINES', 1_000_000);
const stallMs = num(values['stall-ms'], 'CHAOS_STALL_MS', 60_000);
const stallFloodMb = num(values['stall-flood-mb'], 'CHAOS_STALL_FLOOD_MB', 64);
if (values.seed !== undefined) process.env.ORCHD_FUZZ_SEED = values.seed;
const seed = seedFromEnv('ORCHD_FUZZ_SEED');
const only = new Set(values.only ?? ['fuzz', 'host', 'crash', 'stall']);
const log = (line: string) => console.error(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);

const counts = { crashes: 0, unansweredRequests: 0, lostAcknowledgedEvents: 0, orphans: 0, integrityFailures: 0, internalErrors: 0, otherFindings: 0, peakRssMb: 0 };
const peak = (kb: number) => (counts.peakRssMb = Math.max(counts.peakRssMb, Math.round(kb / 1024)));
const started = Date.now();
log(`seed ${seed} (replay with --seed ${seed}); frames ${frames}, rounds ${rounds}, stall ${stallLines} lines for ${stallMs} ms`);

if (only.has('fuzz')) {
  const report = await runFuzz({ seed, frames, hugeFrames: Math.max(1, Math.floor(frames / 20_000)), log });
  peak(report.peakRssKb);
  for (const finding of report.findings) {
    if (finding.kind === 'died') counts.crashes++;
    else if (finding.kind === 'unanswered' || finding.kind === 'notServing') counts.unansweredRequests++;
    else if (finding.kind === 'internal') counts.internalErrors++;
    else counts.otherFindings++;
  }
  log(`fuzz: ${report.framesSent} frames, ${report.requestsCounted} requests, ${report.durationMs} ms`);
  if (report.findings.length) console.error(describeFindings(report, 20));
}

if (only.has('host')) {
  for (const initialize of ['none', 'null', 'pid'] as const) {
    for (const stderr of ['pipe', 'ignore'] as const) {
      const result = await runHostDeath({ initialize, stderr });
      const ok = result.exitedAfterMs !== undefined && result.cpuMsWhileOrphaned <= MAX_CPU_MS_WHILE_ORPHANED;
      if (!ok) counts.orphans++;
      log(`host death (${initialize}, stderr ${stderr}): ${ok ? 'ok' : 'FAILED'} ${JSON.stringify(result)} (bound ${HOST_DEATH_EXIT_BOUND_MS} ms)`);
    }
  }
}

if (only.has('crash')) {
  const rng = createRng(seed);
  for (let round = 1; round <= rounds; round++) {
    const agents = rng.int(1, 3);
    const killAfterOutputEvents = rng.int(5, 400);
    const result = await runCrashRound({ rng, agents, killAfterOutputEvents });
    peak(result.peakRssKb);
    counts.crashes += result.crashes.length;
    counts.unansweredRequests += result.unanswered.length;
    counts.lostAcknowledgedEvents += result.lostAcknowledged.length;
    counts.orphans += result.orphans.length;
    if (result.integrity !== 'ok') counts.integrityFailures++;
    counts.otherFindings += result.badExecutions.length;
    const problems = roundProblems(result);
    log(`crash round ${round}/${rounds}: ${agents} agents, ${result.acknowledged} acknowledged, ${result.orphansAtCrash} processes at the crash, ${problems.length ? `PROBLEMS:\n  ${problems.join('\n  ')}` : 'ok'}`);
  }
}

if (only.has('stall')) {
  const result = await runStalledSubscriber({ agents: 3, lines: stallLines, floodMb: stallFloodMb, stallMs, log });
  peak(result.peakRssKb);
  counts.unansweredRequests += result.unansweredProbes.length;
  counts.lostAcknowledgedEvents += result.gaps.length;
  log(`stall: ${result.eventsReceived} events received, ${result.probesAnswered} probes answered, RSS at stall end ${Math.round(result.rssAtStallEndKb / 1024)} MB${result.gaps.length || result.unansweredProbes.length ? `\n  ${[...result.gaps, ...result.unansweredProbes].join('\n  ')}` : ''}`);
}

const line = Object.entries(counts).map(([k, v]) => `${k}=${v}`).join(' ');
console.log(`chaos seed=${seed} ${line} wallSeconds=${Math.round((Date.now() - started) / 1000)}`);
const failed = Object.entries(counts).some(([k, v]) => k !== 'peakRssMb' && v > 0);
process.exit(failed ? 1 : 0);
