// Bytes and files under a directory (symlinks counted, not followed), for reporting workspace disk use.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Total size in bytes and number of files below `dir`; 0 when it does not exist. */
export async function diskUsage(dir: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  const pending = [dir];
  while (pending.length) {
    const batch = pending.splice(0, 32);
    await Promise.all(
      batch.map(async (current) => {
        const entries = await readdir(current, { withFileTypes: true }).catch(() => []);
        await Promise.all(
          entries.map(async (entry) => {
            const path = join(current, entry.name);
            if (entry.isDirectory()) {
              pending.push(path);
              return;
            }
            const stats = await lstat(path).catch(() => null);
            if (!stats) return;
            bytes += stats.size;
            files += 1;
          }),
        );
      }),
    );
  }
  return { bytes, files };
}
