// Maintenance of the data directory: retention of the event log (`maintenance/compact`) and the tombstone it leaves
// where raw output was dropped, so a replay from seq 0 stays gap-free and says what is missing.
import * as v from 'valibot';
import { Id, Seq, Timestamp } from './common.js';
import { ProjectRetention } from './project.js';

/** Which retention limit dropped an execution's output. */
export const CompactionReason = v.pipe(
  v.picklist(['maxAgeDays', 'maxBytes']),
  v.description("The project's `retention` limit that dropped it: `maxAgeDays` (ended too long ago) or `maxBytes` (oldest first, over the byte budget)"),
);

/** The data of an `events/compacted` tombstone: one per execution whose raw output was dropped. */
export const OutputCompaction = v.strictObject({
  executionId: Id,
  droppedKind: v.pipe(v.literal('execution/output'), v.description('The kind of the events that were dropped')),
  fromSeq: v.pipe(Seq, v.description('The first dropped event; the tombstone took its place in the log')),
  toSeq: v.pipe(Seq, v.description("The last dropped event; events of other kinds and executions between `fromSeq` and `toSeq` are kept")),
  count: v.pipe(v.number(), v.integer(), v.minValue(1), v.description('Events dropped, the one the tombstone replaced included')),
  bytes: v.pipe(v.number(), v.integer(), v.minValue(0), v.description('Bytes of event data dropped')),
  reason: CompactionReason,
  compactedAt: Timestamp,
});

export const MaintenanceCompactParams = v.strictObject({
  projectId: v.optional(v.pipe(Id, v.description("Apply only this project's retention; default: every project's"))),
  dryRun: v.optional(v.pipe(v.boolean(), v.description('Report what would be dropped, and change nothing')), false),
});

export const ProjectCompaction = v.strictObject({
  projectId: Id,
  retention: ProjectRetention,
  executions: v.pipe(v.number(), v.integer(), v.description('Executions whose raw output was dropped (or would be, in a dry run)')),
  eventsDropped: v.pipe(v.number(), v.integer()),
  bytesDropped: v.pipe(v.number(), v.integer(), v.description('Bytes of event data dropped')),
  outputBytesKept: v.pipe(v.number(), v.integer(), v.description("Bytes of the project's raw output left in the log")),
});

export const Compaction = v.strictObject({
  dryRun: v.boolean(),
  projects: v.pipe(v.array(ProjectCompaction), v.description('Every project whose retention was applied, with what it dropped')),
  executions: v.pipe(v.number(), v.integer()),
  eventsDropped: v.pipe(v.number(), v.integer()),
  bytesDropped: v.pipe(v.number(), v.integer()),
  tombstones: v.pipe(v.number(), v.integer(), v.description('`events/compacted` events written in place of dropped ones')),
  vacuum: v.pipe(
    v.picklist(['incremental', 'full', 'none']),
    v.description('How the freed pages were returned to the file system: `incremental` (PRAGMA incremental_vacuum), `full` (a one-off VACUUM that switched the database to incremental auto-vacuum), `none` (dry run)'),
  ),
  bytesBefore: v.pipe(v.number(), v.integer(), v.description('Database size (page count × page size) before')),
  bytesAfter: v.pipe(v.number(), v.integer(), v.description('Database size (page count × page size) after')),
});

export const MaintenanceCompactResult = v.strictObject({ compaction: Compaction });

export type OutputCompaction = v.InferOutput<typeof OutputCompaction>;
export type CompactionReason = v.InferOutput<typeof CompactionReason>;
export type Compaction = v.InferOutput<typeof Compaction>;
export type ProjectCompaction = v.InferOutput<typeof ProjectCompaction>;
export type MaintenanceCompactParams = v.InferOutput<typeof MaintenanceCompactParams>;
