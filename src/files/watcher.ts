// One watcher over a workspace's worktrees, however many watches share it: one inotify watch (fs.watch) per directory,
// never one per file. chokidar watches every file on its own (measured on ten 10,000-file worktrees: 64 MB of RSS and
// 10,100 inotify watches per worktree, out of a per-user limit of ~190,000); a directory's watch already reports its
// files' changes by name, so this costs a watch and two small name sets per directory (bench/files-watch.ts).
// It never looks inside `.git`, and unless some watch wants ignored files it does not walk what git ignores
// (node_modules is most of a tree). Whether a path created since the walk is ignored is asked in bulk: one
// `git check-ignore` per worktree per batch, never one git per file.
import { watch as watchDirectory, type FSWatcher, type Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '../log/logger.js';
import type { ChangeType } from './watch-coalesce.js';
import { checkIgnored, ignoredPaths } from './watch-ignore.js';

export interface WatchedRoot {
  readonly repositoryId: string;
  /** The worktree. */
  readonly path: string;
}

/** A change the watcher saw, relative to its worktree, and whether git ignores the path. */
export interface ObservedChange {
  readonly repositoryId: string;
  readonly path: string;
  readonly type: ChangeType;
  readonly ignored: boolean;
}

export interface WorkspaceWatcherOptions {
  readonly roots: readonly WatchedRoot[];
  /** Also walk and report what git ignores (a watch asked for it). */
  readonly includeIgnored: boolean;
  readonly logger: Logger;
  /** A batch of changes, one per path. */
  onChanges(changes: ObservedChange[]): void;
  /** The watcher broke (ENOSPC: out of inotify watches, ...) and stopped; `reason` says why. */
  onError(reason: string): void;
}

const GITIGNORE = /(?:^|\/)\.gitignore$/;
/** How many times a batch looks again at names reported again while it looked (one save is several events). */
const RESTATS = 3;
/** Errors that mean a directory went away (or cannot be read) while it was being watched: skip it, carry on. */
const GONE = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM']);

/** What git ignored in one worktree when a generation started, plus the paths found ignored since. */
class RootRules {
  constructor(
    readonly dirs: Set<string>,
    readonly files: Set<string>,
  ) {}

  /** True when the path is an ignored file or lies in (or is) an ignored directory. */
  ignores(path: string): boolean {
    if (this.files.has(path) || this.dirs.has(path)) return true;
    for (let slash = path.indexOf('/'); slash > 0; slash = path.indexOf('/', slash + 1)) {
      if (this.dirs.has(path.slice(0, slash))) return true;
    }
    return false;
  }
}

/** One watched directory: its watch, and the names of its entries as last seen (to tell created from changed). */
interface WatchedDirectory {
  readonly root: WatchedRoot;
  /** Relative to the worktree, `/`-separated; `` for the worktree itself. */
  readonly path: string;
  readonly absolute: string;
  readonly handle: FSWatcher;
  readonly files: Set<string>;
  readonly subdirs: Set<string>;
}

/** The directories walked under one set of rules; replaced whole when the rules change. */
interface Generation {
  readonly id: number;
  readonly includeIgnored: boolean;
  readonly rules: Map<string, RootRules>;
  readonly dirs: Map<string, WatchedDirectory>;
  /** Resolves when the first walk is done: events are compared with what it found only after that. */
  walked: Promise<void>;
  closed: boolean;
}

/** A name a directory's watch reported, to be looked at. */
interface Pending {
  readonly generation: Generation;
  readonly directory: WatchedDirectory;
  readonly name: string;
}

interface RawChange {
  readonly generation: Generation;
  readonly root: WatchedRoot;
  readonly path: string;
  readonly type: ChangeType;
  readonly directory: boolean;
}

export class WorkspaceWatcher {
  private readonly roots: readonly WatchedRoot[];
  private current: Generation | undefined;
  private readonly generations = new Set<Generation>();
  private nextGeneration = 1;
  private wantIgnored: boolean;
  private settling: Promise<void>;
  private readonly pending = new Map<string, Pending>();
  private draining = false;
  private closed = false;
  private failed = false;

  constructor(private readonly options: WorkspaceWatcherOptions) {
    this.roots = options.roots.map((root) => ({ repositoryId: root.repositoryId, path: resolve(root.path) }));
    this.wantIgnored = options.includeIgnored;
    this.settling = this.startGeneration();
  }

  /** Resolves once the current rules are in force: the first walk is done, or a restart has taken over. */
  settled(): Promise<void> {
    return this.settling;
  }

  /** Walk ignored directories too (or stop walking them); resolves when the new walk is in force. */
  setIncludeIgnored(include: boolean): Promise<void> {
    if (include === this.wantIgnored) return this.settling;
    this.wantIgnored = include;
    return this.restart();
  }

  /** The directories watched now (for tests: what is walked and what is not). */
  watchedDirectories(): string[] {
    return this.current ? [...this.current.dirs.keys()] : [];
  }

  /** Stop watching; idempotent. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.pending.clear();
    for (const generation of this.generations) this.closeGeneration(generation);
    this.current = undefined;
    return Promise.resolve();
  }

  /** Start a generation with freshly computed rules after the current one has settled. */
  private restart(): Promise<void> {
    this.settling = this.settling.then(() => this.startGeneration());
    return this.settling;
  }

  /**
   * Compute what git ignores (one `ls-files` and one `check-ignore` per worktree), walk the worktrees under those rules,
   * then retire the previous generation. The old one reports until the new one has walked, so no change made meanwhile
   * is missed; a path both report is merged like any other.
   */
  private async startGeneration(): Promise<void> {
    if (this.closed) return;
    const includeIgnored = this.wantIgnored;
    let generation: Generation;
    try {
      const rules = new Map(
        await Promise.all(
          this.roots.map(async (root) => {
            const ignored = await ignoredPaths(root.path);
            return [root.repositoryId, new RootRules(ignored.dirs, ignored.files)] as const;
          }),
        ),
      );
      if (this.closed) return;
      generation = { id: this.nextGeneration++, includeIgnored, rules, dirs: new Map(), walked: Promise.resolve(), closed: false };
      this.generations.add(generation);
      generation.walked = Promise.all(this.roots.map((root) => this.walk(generation, root, '', null))).then(() => undefined);
      await generation.walked;
    } catch (error) {
      this.fail(error);
      return;
    }
    if (this.closed || generation.closed) return;
    const previous = this.current;
    this.current = generation;
    if (previous) this.closeGeneration(previous);
  }

  private closeGeneration(generation: Generation): void {
    generation.closed = true;
    for (const directory of generation.dirs.values()) directory.handle.close();
    generation.dirs.clear();
    this.generations.delete(generation);
  }

  /**
   * Watch a directory and everything below it that this generation walks, watch first and read second so that
   * nothing created in between is missed. With `found`, every entry is also collected as created (a directory that
   * appeared since the walk); entries below are then left to the caller, which decides what git ignores first.
   */
  private async walk(generation: Generation, root: WatchedRoot, path: string, found: RawChange[] | null): Promise<void> {
    const absolute = path ? join(root.path, path) : root.path;
    if (generation.closed || generation.dirs.has(absolute)) return;
    let handle: FSWatcher;
    try {
      handle = watchDirectory(absolute, { persistent: false }, (_event, name) => this.observe(generation, absolute, name));
    } catch (error) {
      if (GONE.has((error as NodeJS.ErrnoException).code ?? '')) return;
      throw error;
    }
    const directory: WatchedDirectory = { root, path, absolute, handle, files: new Set(), subdirs: new Set() };
    generation.dirs.set(absolute, directory);
    handle.on('error', (error) => this.directoryFailed(generation, directory, error));
    let entries;
    try {
      entries = await readdir(absolute, { withFileTypes: true });
    } catch (error) {
      if (GONE.has((error as NodeJS.ErrnoException).code ?? '')) return;
      throw error;
    }
    if (generation.closed) return;
    const rules = generation.rules.get(root.repositoryId)!;
    const below: Promise<void>[] = [];
    for (const entry of entries) {
      // `.git` is a worktree's pointer file, or a nested repository: never watched, never reported.
      if (entry.name === '.git') continue;
      const child = path ? `${path}/${entry.name}` : entry.name;
      const isDirectory = entry.isDirectory();
      (isDirectory ? directory.subdirs : directory.files).add(entry.name);
      if (found) found.push({ generation, root, path: child, type: 'created', directory: isDirectory });
      else if (isDirectory && (generation.includeIgnored || !rules.ignores(child))) below.push(this.walk(generation, root, child, null));
    }
    await Promise.all(below);
  }

  /** A directory's watch reported `name`: look at it in the next batch. Without a name, look at the whole directory. */
  private observe(generation: Generation, absolute: string, name: string | Buffer | null): void {
    if (this.closed || generation.closed) return;
    const directory = generation.dirs.get(absolute);
    if (!directory) return;
    if (typeof name === 'string' && name) {
      this.enqueue(generation, directory, name);
      return;
    }
    void readdir(absolute).then(
      (names) => {
        for (const entry of new Set([...names, ...directory.files, ...directory.subdirs])) this.enqueue(generation, directory, entry);
      },
      () => {},
    );
  }

  private enqueue(generation: Generation, directory: WatchedDirectory, name: string): void {
    if (this.closed || generation.closed || name === '.git') return;
    const path = directory.path ? `${directory.path}/${name}` : name;
    // A generation that skips ignored paths has nobody to tell about them: not even a stat.
    if (!generation.includeIgnored && generation.rules.get(directory.root.repositoryId)!.ignores(path)) return;
    this.pending.set(`${generation.id}\0${directory.absolute}\0${name}`, { generation, directory, name });
    if (!this.draining) {
      this.draining = true;
      // Everything reported in this turn goes into the same batch.
      setImmediate(() => void this.drain());
    }
  }

  /** Decide and hand on batches until nothing waits; what arrives while one is decided forms the next. */
  private async drain(): Promise<void> {
    try {
      while (this.pending.size && !this.closed) {
        const batch = [...this.pending.entries()];
        this.pending.clear();
        const changes = await this.settle(batch);
        if (this.closed) return;
        if (changes.length) this.options.onChanges(changes);
        // New ignore rules: recompute what is skipped (a directory no longer ignored must be walked from now on).
        if (changes.some((change) => GITIGNORE.test(change.path))) void this.restart();
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.draining = false;
      if (this.pending.size && !this.closed) {
        this.draining = true;
        setImmediate(() => void this.drain());
      }
    }
  }

  /**
   * What the reported names amount to: each is compared with what its directory last held (so a file written in
   * place or replaced by a rename is `changed`, and a file seen for the first time `created`); directories that
   * appeared are walked level by level, each level's new paths checked against .gitignore before going deeper.
   */
  private async settle(entries: readonly [string, Pending][]): Promise<ObservedChange[]> {
    const batch = entries.map(([, p]) => p);
    await Promise.all([...new Set(batch.map((p) => p.generation))].map((generation) => generation.walked));
    const look = (p: Pending) => lstat(join(p.directory.absolute, p.name)).catch(() => null);
    const stats = await Promise.all(batch.map(look));
    // One save is several kernel events (truncate, write, rename) that can straddle the look above: a name reported
    // again meanwhile is looked at again now, so the save makes one change rather than one now and one a window later.
    for (let round = 0; round < RESTATS; round++) {
      const again = entries.flatMap(([key], i) => (this.pending.delete(key) ? [i] : []));
      if (!again.length) break;
      const fresh = await Promise.all(again.map((i) => look(batch[i]!)));
      again.forEach((i, j) => (stats[i] = fresh[j]!));
    }
    const raw: RawChange[] = [];
    batch.forEach((p, i) => {
      if (p.generation.closed || p.generation.dirs.get(p.directory.absolute) !== p.directory) return;
      this.compare(p, stats[i]!, raw);
    });
    const ignored = new Set<RawChange>();
    let level = raw;
    while (level.length) {
      await this.decide(level, ignored);
      const walking = level.filter((change) => change.directory && change.type === 'created' && (change.generation.includeIgnored || !ignored.has(change)));
      const found: RawChange[] = [];
      await Promise.all(walking.map((change) => this.walk(change.generation, change.root, change.path, found)));
      raw.push(...found);
      level = found;
    }
    return raw.map((change) => ({ repositoryId: change.root.repositoryId, path: change.path, type: change.type, ignored: ignored.has(change) }));
  }

  /** One name against its directory's last view of it: the changes it makes, which update that view. */
  private compare(p: Pending, stat: Stats | null, out: RawChange[]): void {
    const { directory, generation, name } = p;
    const path = directory.path ? `${directory.path}/${name}` : name;
    const change = (type: ChangeType, isDirectory: boolean) => out.push({ generation, root: directory.root, path, type, directory: isDirectory });
    const wasFile = directory.files.has(name);
    const wasDirectory = directory.subdirs.has(name);
    const isDirectory = stat?.isDirectory() ?? false;
    if (wasDirectory && !isDirectory) {
      directory.subdirs.delete(name);
      change('deleted', true);
      this.forget(generation, join(directory.absolute, name), directory.root, out);
    }
    if (wasFile && (!stat || isDirectory)) {
      directory.files.delete(name);
      change('deleted', false);
    }
    if (!stat) return;
    if (isDirectory) {
      if (wasDirectory) return;
      directory.subdirs.add(name);
      change('created', true);
      return;
    }
    if (wasFile) change('changed', false);
    else {
      directory.files.add(name);
      change('created', false);
    }
  }

  /** A directory went away: stop watching it and everything below, and report what it held as deleted. */
  private forget(generation: Generation, absolute: string, root: WatchedRoot, out: RawChange[]): void {
    for (const [key, directory] of generation.dirs) {
      if (key !== absolute && !key.startsWith(`${absolute}/`)) continue;
      directory.handle.close();
      generation.dirs.delete(key);
      const prefix = directory.path ? `${directory.path}/` : '';
      for (const name of directory.subdirs) out.push({ generation, root, path: prefix + name, type: 'deleted', directory: true });
      for (const name of directory.files) out.push({ generation, root, path: prefix + name, type: 'deleted', directory: false });
    }
  }

  /**
   * Whether git ignores each path. Every path a generation walked was decided by its rules; only a path created since
   * (and not below an ignored directory) is asked, one check-ignore per worktree for the batch. Paths found ignored
   * join the rules, so they are not asked again.
   */
  private async decide(changes: readonly RawChange[], ignored: Set<RawChange>): Promise<void> {
    const ask = new Map<WatchedRoot, RawChange[]>();
    for (const change of changes) {
      const rules = change.generation.rules.get(change.root.repositoryId)!;
      if (rules.ignores(change.path)) ignored.add(change);
      else if (change.type === 'created') {
        const list = ask.get(change.root);
        if (list) list.push(change);
        else ask.set(change.root, [change]);
      }
    }
    await Promise.all(
      [...ask].map(async ([root, list]) => {
        let answer: Set<string>;
        try {
          answer = await checkIgnored(root.path, [...new Set(list.map((change) => change.path))]);
        } catch (error) {
          // The worktree may be going away; report the paths rather than lose them.
          this.options.logger.warn('git check-ignore failed; reporting the paths as not ignored', { worktree: root.path, error });
          answer = new Set();
        }
        for (const change of list) {
          if (!answer.has(change.path)) continue;
          ignored.add(change);
          const rules = change.generation.rules.get(root.repositoryId)!;
          (change.directory ? rules.dirs : rules.files).add(change.path);
        }
      }),
    );
  }

  private directoryFailed(generation: Generation, directory: WatchedDirectory, error: Error): void {
    // A directory removed under its watch can report an error on some platforms; its parent reports the removal.
    if (GONE.has((error as NodeJS.ErrnoException).code ?? '')) {
      directory.handle.close();
      if (generation.dirs.get(directory.absolute) === directory) generation.dirs.delete(directory.absolute);
      return;
    }
    this.fail(error);
  }

  private fail(error: unknown): void {
    if (this.closed || this.failed) return;
    this.failed = true;
    const reason = `watcher failed: ${error instanceof Error ? error.message : String(error)}`;
    this.options.logger.warn('file watcher failed', { error, roots: this.roots.map((root) => root.path) });
    void this.close();
    this.options.onError(reason);
  }
}
