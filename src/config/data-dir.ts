// Where orchd keeps its database and worktrees: initialize.dataDir, else --data-dir, else ORCHD_DATA_DIR, else XDG data home.
import { resolve } from 'node:path';
import envPaths from 'env-paths';

export interface DataDirSources {
  fromInitialize?: string | undefined;
  fromFlag?: string | undefined;
  fromEnv?: string | undefined;
}

/** The data directory to use, with the source it came from. */
export function resolveDataDir(sources: DataDirSources): { dataDir: string; source: 'initialize' | 'flag' | 'env' | 'default' } {
  if (sources.fromInitialize) return { dataDir: resolve(sources.fromInitialize), source: 'initialize' };
  if (sources.fromFlag) return { dataDir: resolve(sources.fromFlag), source: 'flag' };
  if (sources.fromEnv) return { dataDir: resolve(sources.fromEnv), source: 'env' };
  return { dataDir: defaultDataDir(), source: 'default' };
}

/** The per-user default: $XDG_DATA_HOME/orchd (~/.local/share/orchd on Linux). */
export function defaultDataDir(): string {
  return envPaths('orchd', { suffix: '' }).data;
}
