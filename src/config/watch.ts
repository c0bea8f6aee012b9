// Watching the configuration files with chokidar: each file by its path (chokidar watches its directory while the file
// does not exist, and follows edits, atomic replaces, deletions and re-creations). While a file's directory does not
// exist (a user without ~/.config/orchd yet), a separate watcher waits for the directory, and the file is watched from
// the moment the directory appears. Events are coalesced per file for a short while, so an editor's several writes make one reload.
// The watcher is what makes `config/changed` prompt; readers also compare a file's stamp before a session starts
// (src/config/service.ts), so a missed event never leaves a session on stale content.
import { existsSync, watch as fsWatch } from 'node:fs';
import { dirname } from 'node:path';
import type { FSWatcher } from 'chokidar';
import type { Logger } from '../log/logger.js';

/**
 * How long after a change event a file is reloaded (later events restart the wait). Longer than the 50 ms in which
 * chokidar drops further `change` events of the same path after one it emitted: whatever was written in that window is
 * read by this reload, and anything written after it produces a new event.
 */
const SETTLE_MS = 75;
/** How long chokidar may take to attach a new watch (a stat, then fs.watch); a later write raises an event. */
const ATTACH_MS = 250;

export class ConfigWatcher {
  private starting: Promise<FSWatcher> | null = null;
  /** Files watched by path (their directory exists). */
  private readonly files = new Set<string>();
  /** Directories that do not exist yet, each waited for apart from the files' watcher, with the file it is for. */
  private readonly pending = new Map<string, { file: string; stop: () => void }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly onChange: (file: string) => void,
    private readonly logger: Logger,
  ) {}

  /** Watch one file (idempotent); call again once its directory exists to watch the file itself. */
  watch(file: string): void {
    if (this.closed || this.files.has(file)) return;
    const directory = dirname(file);
    if (existsSync(directory)) {
      this.files.add(file);
      this.stopPending(directory);
      void this.start()
        .then((watcher) => {
          if (this.closed) return;
          watcher.add(file);
          // chokidar attaches its watch asynchronously: read the file once more after that, for a write in between.
          setTimeout(() => this.settle(file), ATTACH_MS).unref();
        })
        .catch((error) => this.logger.warn('cannot watch a configuration file; changes are noticed when a session starts', { file, error }));
    } else if (!this.pending.has(directory)) {
      this.pending.set(directory, { file, stop: this.watchForDirectory(directory, file) });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const directory of [...this.pending.keys()]) this.stopPending(directory);
    const watcher = this.starting ? await this.starting.catch(() => null) : null;
    await watcher?.close().catch(() => {});
  }

  /** The watcher of the files, made on first use: most processes never need one, and start-up should not pay for it. */
  private start(): Promise<FSWatcher> {
    this.starting ??= (async () => {
      const { watch } = await import('chokidar');
      // persistent: false: the watcher never keeps a process alive by itself.
      const watcher = watch([], { ignoreInitial: true, persistent: false });
      watcher.on('all', (_event, path) => {
        if (this.files.has(path)) this.settle(path);
      });
      watcher.on('error', (error) => this.logger.warn('configuration watcher error', { error }));
      if (this.closed) await watcher.close();
      return watcher;
    })();
    return this.starting;
  }

  /**
   * Wait for a missing directory with Node's own fs.watch on its nearest existing ancestor (not chokidar, which shares
   * one fs.watch per path between its watchers: closing this one as the file's watch starts could take that with it).
   * When the directory appears the file is watched itself; when only an ancestor appears, the wait moves down to it.
   */
  private watchForDirectory(directory: string, file: string): () => void {
    let ancestor = dirname(directory);
    while (!existsSync(ancestor) && dirname(ancestor) !== ancestor) ancestor = dirname(ancestor);
    try {
      const watcher = fsWatch(ancestor, { persistent: false }, () => {
        if (this.closed || !this.pending.has(directory)) return;
        if (existsSync(directory)) {
          this.watch(file);
          // The file may have come with the directory.
          this.settle(file);
        } else if (!existsSync(ancestor) || dirname(directory) !== ancestor) {
          this.stopPending(directory);
          this.watch(file);
        }
      });
      watcher.on('error', () => this.stopPending(directory));
      return () => watcher.close();
    } catch (error) {
      this.logger.warn('cannot watch for a configuration directory; changes are noticed when a session starts', { directory, error });
      return () => {};
    }
  }

  private stopPending(directory: string): void {
    const pending = this.pending.get(directory);
    if (!pending) return;
    this.pending.delete(directory);
    pending.stop();
  }

  /** Reload a file once it has been quiet for a moment. */
  private settle(file: string): void {
    if (this.closed) return;
    clearTimeout(this.timers.get(file));
    this.timers.set(
      file,
      setTimeout(() => {
        this.timers.delete(file);
        if (!this.closed) this.onChange(file);
      }, SETTLE_MS),
    );
  }
}
