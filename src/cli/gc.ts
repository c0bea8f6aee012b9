// `orchd gc`: `maintenance/compact` through an in-process orchd, and what it dropped in words (or JSON).
import type { Compaction } from '../../protocol/maintenance.js';
import type { Project } from '../../protocol/project.js';
import { formatBytes } from '../maintenance/usage.js';
import type { GcArgs } from './args.js';
import { connectOrReport } from './local-daemon.js';
import { describeInCliWords, PROJECT_WORDS } from './words.js';

export interface GcCommandOptions extends GcArgs {
  version: string;
  write?: (text: string) => void;
}

/** Apply retention and vacuum; resolves with the exit code (0 done, 1 an error). */
export async function gcCommand(options: GcCommandOptions): Promise<number> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const daemon = await connectOrReport({ version: options.version, logLevel: options.logLevel, dataDir: options.dataDir });
  if (!daemon) return 1;
  try {
    await daemon.initialize({ clientName: 'orchd-cli', approvals: false });
    const { compaction } = await daemon.request('maintenance/compact', { ...(options.projectId !== undefined ? { projectId: options.projectId } : {}), dryRun: options.dryRun });
    if (options.json) write(`${JSON.stringify({ compaction }, null, 2)}\n`);
    else write(describeCompaction(compaction, (await daemon.request('project/list', {})).projects));
    return 0;
  } catch (error) {
    process.stderr.write(`orchd: ${describeInCliWords(error, PROJECT_WORDS)}\n`);
    return 1;
  } finally {
    await daemon.close();
  }
}

const count = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** The compaction in words: what was (or would be) dropped per project, and the database size before and after. */
export function describeCompaction(compaction: Compaction, projects: readonly Pick<Project, 'id' | 'name'>[]): string {
  if (compaction.projects.length === 0) {
    return 'No project has a retention, so nothing was dropped (set one with project/update {retention: {maxAgeDays, maxBytes}}).\n';
  }
  const lines: string[] = [];
  const verb = compaction.dryRun ? 'Would drop' : 'Dropped';
  lines.push(`${verb} the raw output of ${count(compaction.executions, 'execution')}: ${count(compaction.eventsDropped, 'event')}, ${formatBytes(compaction.bytesDropped)}.`);
  for (const project of compaction.projects) {
    const name = projects.find((p) => p.id === project.projectId)?.name ?? project.projectId;
    const limits = Object.entries(project.retention).map(([key, value]) => `${key} ${value}`).join(', ') || 'none';
    lines.push(
      `  ${name} (${project.projectId}, retention: ${limits}): ${count(project.executions, 'execution')}, ${count(project.eventsDropped, 'event')}, ${formatBytes(project.bytesDropped)}; ${formatBytes(project.outputBytesKept)} of output kept`,
    );
  }
  if (compaction.dryRun) lines.push('Nothing was changed (dry run).');
  else {
    lines.push(`Left ${count(compaction.tombstones, 'tombstone')} (events/compacted) where the output was; the normalized entries are kept.`);
    lines.push(`Database: ${formatBytes(compaction.bytesBefore)} -> ${formatBytes(compaction.bytesAfter)} (${compaction.vacuum === 'full' ? 'full VACUUM, now incremental auto-vacuum' : 'incremental vacuum'}).`);
  }
  return `${lines.join('\n')}\n`;
}
