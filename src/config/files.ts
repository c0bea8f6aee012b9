// Where the configuration files are, how one is read (with a cheap "did it change" stamp), and how the user's file is
// written: atomically (a temporary file in the same directory, then rename), 0600, its directory 0700 when created.
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

/** The name of a repository's own file, at the root of its main checkout. */
export const REPOSITORY_CONFIG_FILE = 'orchd.json';

/**
 * The directory that holds the user's `config.json`: `ORCHD_CONFIG_HOME` (tests, and anyone who wants another place),
 * else `$XDG_CONFIG_HOME/orchd`, else `~/.config/orchd`. A relative XDG_CONFIG_HOME is ignored, as the spec says.
 */
export function userConfigHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ORCHD_CONFIG_HOME) return env.ORCHD_CONFIG_HOME;
  const xdg = env.XDG_CONFIG_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.config'), 'orchd');
}

/** The user's file. */
export function userConfigFile(configHome = userConfigHome()): string {
  return join(configHome, 'config.json');
}

/** A repository's file: `orchd.json` at the root of its main checkout. */
export function repositoryConfigFile(repositoryPath: string): string {
  return join(repositoryPath, REPOSITORY_CONFIG_FILE);
}

/** What a file is on disk now: absent, or its text and a stamp (mtime, size, inode) to notice changes without reading. */
export type FileSnapshot = { exists: false } | { exists: true; text: string; stamp: string };

/** The stamp of a file, or null when it does not exist (or is not a regular file). */
export function fileStamp(path: string): string | null {
  try {
    const stats = statSync(path, { bigint: true });
    if (!stats.isFile()) return null;
    return `${stats.mtimeNs}:${stats.size}:${stats.ino}`;
  } catch {
    return null;
  }
}

/** Read a file with its stamp. A file that vanishes between the stat and the read is absent. */
export function readSnapshot(path: string): FileSnapshot {
  const stamp = fileStamp(path);
  if (stamp === null) return { exists: false };
  try {
    return { exists: true, text: readFileSync(path, 'utf8'), stamp };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { exists: false };
    throw error;
  }
}

/**
 * Write a file atomically: a reader sees the old content or the new, never half of either. The temporary file is made
 * with O_EXCL (never through a link someone left), 0600, synced, then renamed over the target.
 */
export function writeFileAtomic(path: string, text: string): void {
  const directory = dirname(path);
  try {
    statSync(directory);
  } catch {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    chmodSync(directory, 0o700); // whatever the umask
  }
  const temporary = join(directory, `.${randomBytes(6).toString('hex')}.orchd-tmp`);
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    chmodSync(temporary, 0o600);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
