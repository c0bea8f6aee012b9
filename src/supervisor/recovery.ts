// Crash recovery of one process record, for any owner (executions, terminals): decide whether the record is ours to
// repair, kill what is left of its process group (only after proving the pid is still that process), and say why.
import { isSameProcess, killLeftoverGroup } from './process-group.js';

/** The persisted identity of a process and of the daemon that started it (columns every owner's table has). */
export interface ProcessRecord {
  owner_pid: number;
  owner_start_ticks: string | null;
  pid: number | null;
  process_start_ticks: string | null;
  boot_id: string | null;
}

/**
 * Null when the record is not this daemon's to repair: another live orchd on the same data directory owns it, or
 * this daemon runs it (`liveHere`). Otherwise its leftover group is killed and the reason for its record is returned.
 */
export async function reclaimLeftover(record: ProcessRecord, liveHere: boolean): Promise<string | null> {
  if (record.owner_pid !== process.pid && isSameProcess({ pid: record.owner_pid, startTicks: record.owner_start_ticks })) return null;
  if (record.owner_pid === process.pid && liveHere) return null;
  let outcome = 'no process was recorded';
  if (record.pid !== null) {
    const result = await killLeftoverGroup({ pid: record.pid, startTicks: record.process_start_ticks, bootId: record.boot_id });
    outcome = { killed: 'its leftover process group was killed', gone: 'its processes were already gone', refused: 'its pid now belongs to another process, which was left alone' }[result];
  }
  return `orchd (pid ${record.owner_pid}) stopped while this ran; ${outcome}`;
}
