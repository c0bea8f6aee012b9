// The data directory holds prompts, code and agent output: it is the user's alone, whatever the umask.
// Directories are 0700 and the database files 0600; SQLite gives its -wal and -shm files the database file's mode.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const PRIVATE_DIRECTORY_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
const GROUP_AND_OTHER_BITS = 0o077;

/** The database file and the two SQLite keeps beside it. */
export function databaseFiles(dataDir: string, databaseFile: string): string[] {
  const path = join(dataDir, databaseFile);
  return [path, `${path}-wal`, `${path}-shm`];
}

/** Create `dir` (and missing parents) as 0700, or tighten it to 0700; returns true when it had to tighten it. */
export function ensurePrivateDirectory(dir: string): boolean {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  return tighten(dir, PRIVATE_DIRECTORY_MODE);
}

/** Create `file` empty as 0600 when missing (so SQLite opens a private file), or tighten it; true when tightened. */
export function ensurePrivateFile(file: string): boolean {
  if (!existsSync(file)) {
    closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
    // openSync's mode is masked by the umask, which can only remove bits: 0600 stays 0600 or less.
    return false;
  }
  return tighten(file, PRIVATE_FILE_MODE);
}

/** Paths among `paths` that exist and grant any access to group or others, with their modes (for `orchd doctor`). */
export function looselyProtected(paths: readonly string[]): { path: string; mode: string }[] {
  const loose: { path: string; mode: string }[] = [];
  for (const path of paths) {
    const mode = statSync(path, { throwIfNoEntry: false })?.mode;
    if (mode !== undefined && (mode & GROUP_AND_OTHER_BITS) !== 0) loose.push({ path, mode: (mode & 0o777).toString(8).padStart(4, '0') });
  }
  return loose;
}

function tighten(path: string, mode: number): boolean {
  const current = statSync(path).mode;
  if ((current & GROUP_AND_OTHER_BITS) === 0) return false;
  chmodSync(path, mode);
  return true;
}
