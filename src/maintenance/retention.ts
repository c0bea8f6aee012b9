// Retention: which executions' raw output a project's limits drop. The plan is a pure function of the output runs
// and the limits; src/maintenance/compact.ts gathers the runs and applies the plan.
import type { CompactionReason } from '../../protocol/maintenance.js';
import type { ProjectRetention } from '../../protocol/project.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** One execution's raw output in the log (its `execution/output` events). */
export interface OutputRun {
  executionId: string;
  /** First and last seq of its output events. */
  fromSeq: number;
  toSeq: number;
  /** Output events, and bytes of their data. */
  count: number;
  bytes: number;
  /** When the execution ended (the newest chunk's time when its row is gone), ISO 8601; null while it runs. */
  endedAt: string | null;
  /** Finished, and its session (if any) idle with nothing running: only such output may be dropped. */
  finished: boolean;
}

/** An output run the plan drops, and the limit that drops it. */
export interface PlannedDrop extends OutputRun {
  reason: CompactionReason;
}

export interface RetentionPlan {
  drops: PlannedDrop[];
  /** Bytes of raw output left once the drops are applied. */
  bytesKept: number;
}

/**
 * Apply a project's limits to its output runs: every finished run that ended more than `maxAgeDays` ago, then the
 * finished runs that ended first until the output left fits in `maxBytes`. Running output is never dropped, so a
 * project can stay above `maxBytes` while its sessions run.
 */
export function planRetention(runs: readonly OutputRun[], retention: ProjectRetention, now: Date): RetentionPlan {
  let bytesKept = runs.reduce((sum, run) => sum + run.bytes, 0);
  const drops: PlannedDrop[] = [];
  const candidates = runs.filter((run) => run.finished && run.endedAt !== null).sort(byEndThenSeq);
  const kept: OutputRun[] = [];
  const cutoff = retention.maxAgeDays === undefined ? null : now.getTime() - retention.maxAgeDays * DAY_MS;
  for (const run of candidates) {
    if (cutoff !== null && Date.parse(run.endedAt!) <= cutoff) {
      drops.push({ ...run, reason: 'maxAgeDays' });
      bytesKept -= run.bytes;
    } else kept.push(run);
  }
  if (retention.maxBytes !== undefined) {
    for (const run of kept) {
      if (bytesKept <= retention.maxBytes) break;
      drops.push({ ...run, reason: 'maxBytes' });
      bytesKept -= run.bytes;
    }
  }
  return { drops, bytesKept };
}

/** True when the limits can drop anything at all (`{}` keeps everything). */
export function hasRetention(retention: ProjectRetention): boolean {
  return retention.maxAgeDays !== undefined || retention.maxBytes !== undefined;
}

function byEndThenSeq(a: OutputRun, b: OutputRun): number {
  return a.endedAt! < b.endedAt! ? -1 : a.endedAt! > b.endedAt! ? 1 : a.fromSeq - b.fromSeq;
}
