// The engine's configuration: the files' last good content (read once, kept fresh by the watcher and a stat check
// before anything runs), and the effective configuration of a project, the one function every consumer reads
// (scripts, autoCommit, copyFiles, branchPrefix, approvals, profiles, retention, terminal). See docs/configuration.md.
import { dirname } from 'node:path';
import type { ConfigLayer, ConfigLayerName, ConfigProblem, ConfigDocument } from '../../protocol/config.js';
import { SECRET_MASK, type Profile } from '../../protocol/executors.js';
import type { Engine } from '../engine.js';
import { OrchdError } from '../errors.js';
import { transact, type UnitOfWorkDeps } from '../events/unit-of-work.js';
import type { Logger } from '../log/logger.js';
import { loadProjectRecord, projectsUsingRepository, type ProjectRecord } from '../projects/store.js';
import { builtInDefaults, type EffectiveConfig } from './defaults.js';
import { layerValues, parseConfigText, type ConfigValues } from './document.js';
import { fileStamp, readSnapshot, repositoryConfigFile } from './files.js';
import { mergeLayers, type LayerInput } from './merge.js';
import { ConfigWatcher } from './watch.js';

/** How often every known file's stamp is compared, in case the watcher missed a change (it reports within ~0.1 s). */
const POLL_MS = 2000;

/** One configuration file as orchd knows it. */
export interface ConfigFileState {
  file: string;
  status: 'loaded' | 'absent' | 'invalid';
  /** The last good document: what orchd uses while the file is broken. Null when absent or never valid. */
  document: ConfigDocument | null;
  problems: ConfigProblem[];
  /** The text last read (null: absent) and its stamp, to tell a real change from a touch. */
  text: string | null;
  stamp: string | null;
}

/** The effective configuration with where each value came from and the state of every layer. */
export interface ConfigView {
  config: EffectiveConfig;
  sources: Record<string, ConfigLayerName>;
  layers: ConfigLayer[];
}

export interface ConfigServiceOptions {
  userFile: string;
  logger: Logger;
  /** Where `config/changed` events go: the engine's store and hub. */
  events: UnitOfWorkDeps;
  /** Watch the files (default: true). */
  watch?: boolean;
}

/** Per engine: the files' states, the watcher, and a cache of effective configurations. */
export class ConfigService {
  readonly userFile: string;
  /** Bumped whenever a file's state changes; part of the effective configuration's cache key. */
  private generation = 0;
  private readonly states = new Map<string, ConfigFileState>();
  private readonly cache = new Map<string, { key: string; view: ConfigView }>();
  private readonly watcher: ConfigWatcher | null;
  private readonly defaults = builtInDefaults();
  private closed = false;
  private poll: NodeJS.Timeout | null = null;

  constructor(private readonly options: ConfigServiceOptions) {
    this.userFile = options.userFile;
    this.watcher = options.watch === false ? null : new ConfigWatcher((file) => void this.reload(file, { announce: true, force: true }), options.logger);
  }

  /** The built-in defaults this engine uses. */
  get builtIn(): EffectiveConfig {
    return this.defaults;
  }

  /** A file's state: read (and watched) on first use; with `fresh`, re-read if its stamp changed since. */
  file(file: string, fresh: boolean): ConfigFileState {
    const known = this.states.get(file);
    if (known && !fresh) return known;
    return this.reload(file, { announce: true }).state;
  }

  /**
   * Read a file again if it changed on disk (its stamp, unless `force`: the watcher saw it change, and a quick second
   * write may keep the stamp). A change of text or status after the first read bumps the generation and, with
   * `announce`, emits `config/changed`; a broken file keeps its last good document.
   */
  reload(file: string, options: { announce: boolean; force?: boolean }): { state: ConfigFileState; changed: boolean } {
    const announce = options.announce;
    const previous = this.states.get(file);
    // Idempotent; also how a file whose directory was missing gets watched once the directory exists.
    this.watcher?.watch(file);
    // The safety net under the watcher: every known file's stamp, now and then (a few stat calls).
    if (this.watcher && !this.poll && !this.closed) {
      this.poll = setInterval(() => {
        for (const known of this.states.keys()) this.reload(known, { announce: true });
      }, POLL_MS);
      this.poll.unref();
    }
    if (previous && !options.force && previous.stamp !== null && fileStamp(file) === previous.stamp) return { state: previous, changed: false };
    const snapshot = readSnapshot(file);
    const text = snapshot.exists ? snapshot.text : null;
    const stamp = snapshot.exists ? snapshot.stamp : null;
    if (previous && previous.text === text) {
      previous.stamp = stamp;
      return { state: previous, changed: false };
    }
    let state: ConfigFileState;
    if (text === null) state = { file, status: 'absent', document: null, problems: [], text, stamp };
    else {
      const parsed = parseConfigText(text, { file });
      state = parsed.ok
        ? { file, status: 'loaded', document: parsed.document, problems: [], text, stamp }
        : { file, status: 'invalid', document: previous?.document ?? null, problems: parsed.problems, text, stamp };
    }
    if (state.status === 'invalid') {
      this.options.logger.warn('configuration file is invalid; orchd keeps its last good content', { file, problem: state.problems[0]?.message });
    }
    this.states.set(file, state);
    this.generation++;
    if (!previous) return { state, changed: false };
    this.options.logger.info('configuration file changed', { file, status: state.status });
    if (announce && !this.closed) void this.announce(file, state).catch((error) => this.options.logger.warn('could not record a configuration change', { file, error }));
    return { state, changed: true };
  }

  /** Emit `config/changed` for a file: one event for the user's file, one per project using a repository's file. */
  async announce(file: string, state: ConfigFileState): Promise<void> {
    const problem = state.status === 'invalid' ? state.problems[0] : undefined;
    const extra = problem ? { problem } : {};
    await transact(this.options.events, async (_trx, emit) => {
      if (file === this.userFile) {
        emit('config/changed', { scope: 'user', file, ...extra }, {});
        return;
      }
      for (const projectId of projectsUsingRepository(this.options.events.store.sqlite, dirname(file))) {
        emit('config/changed', { scope: 'repository', projectId, file, ...extra }, { projectId });
      }
    });
  }

  /** The cached view for `key`, or the one `build` makes. */
  cached(id: string, key: string, build: () => ConfigView): ConfigView {
    const fullKey = `${this.generation}\u0000${key}`;
    const hit = this.cache.get(id);
    if (hit?.key === fullKey) return hit.view;
    const view = build();
    if (this.cache.size > 1000) this.cache.clear();
    this.cache.set(id, { key: fullKey, view });
    return view;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.poll) clearInterval(this.poll);
    await this.watcher?.close();
  }
}

/** A repository's layer: its scripts without a `repository` run in that repository's worktree. */
function repositoryLayer(values: ConfigValues, repositoryName: string): ConfigValues {
  if (!values.scripts) return values;
  const own = <T extends { repository?: string | undefined }>(script: T): T => (script.repository === undefined ? { ...script, repository: repositoryName } : script);
  const { setup, cleanup, archive, devServer } = values.scripts;
  return {
    ...values,
    scripts: {
      ...values.scripts,
      ...(setup ? { setup: setup.map(own) } : {}),
      ...(cleanup ? { cleanup: cleanup.map(own) } : {}),
      ...(archive ? { archive: archive.map(own) } : {}),
      ...(devServer ? { devServer: own(devServer) } : {}),
    },
  };
}

function fileLayer(layer: 'user' | 'repository', state: ConfigFileState, repositoryId?: string): ConfigLayer {
  return {
    layer,
    file: state.file,
    ...(repositoryId !== undefined ? { repositoryId } : {}),
    status: state.status,
    ...(state.problems[0] ? { problem: state.problems[0] } : {}),
  };
}

/** The user level: built-in defaults under the user's file (what a project without files or settings runs with). */
export function userLevelView(engine: Engine, options: { fresh?: boolean } = {}): ConfigView {
  const service = engine.config;
  const user = service.file(service.userFile, options.fresh ?? true);
  return service.cached('', '', () => {
    const inputs: LayerInput[] = [{ layer: 'default', values: service.builtIn }];
    if (user.document) inputs.push({ layer: 'user', values: layerValues(user.document) });
    const { config, sources } = mergeLayers(inputs);
    return { config, sources, layers: [{ layer: 'default', file: null, status: 'loaded' }, fileLayer('user', user)] };
  });
}

/**
 * A project's effective configuration, lowest layer first: built-in defaults, the user's file, each repository's
 * orchd.json in repository order, the project's own settings. With `fresh` (the default), each file's stamp is checked
 * first, so a change the watcher has not reported yet still applies to the session about to start.
 */
export function effectiveView(engine: Engine, record: ProjectRecord, options: { fresh?: boolean } = {}): ConfigView {
  const service = engine.config;
  const fresh = options.fresh ?? true;
  const user = service.file(service.userFile, fresh);
  const repositories = record.repositories.map((repository) => ({ repository, state: service.file(repositoryConfigFile(repository.path), fresh) }));
  const key = `${record.layerText}\u0000${record.repositories.map((r) => `${r.id}:${r.name}:${r.path}`).join('\u0000')}`;
  return service.cached(record.id, key, () => {
    const inputs: LayerInput[] = [{ layer: 'default', values: service.builtIn }];
    if (user.document) inputs.push({ layer: 'user', values: layerValues(user.document) });
    for (const { repository, state } of repositories) {
      if (state.document) inputs.push({ layer: 'repository', values: repositoryLayer(layerValues(state.document), repository.name) });
    }
    inputs.push({ layer: 'project', values: record.layer });
    const { config, sources } = mergeLayers(inputs);
    const layers: ConfigLayer[] = [
      { layer: 'default', file: null, status: 'loaded' },
      fileLayer('user', user),
      ...repositories.map(({ repository, state }) => fileLayer('repository', state, repository.id)),
      { layer: 'project', file: null, status: record.layerProblem ? 'invalid' : 'loaded', ...(record.layerProblem ? { problem: record.layerProblem } : {}) },
    ];
    return { config, sources, layers };
  });
}

/** A project's record, or notFound. */
export function requireProjectRecord(engine: Engine, projectId: string, field = 'projectId'): ProjectRecord {
  const record = loadProjectRecord(engine.store.sqlite, projectId);
  if (!record) throw OrchdError.notFound('project', projectId, field);
  return record;
}

/** What a project runs with now: the one function consumers read their configuration through. */
export function effectiveConfig(engine: Engine, projectId: string): EffectiveConfig {
  return effectiveView(engine, requireProjectRecord(engine, projectId)).config;
}

/** The effective configuration as it may leave the engine: plain `env` values masked, references shown. */
export function configForProtocol(config: EffectiveConfig): Record<string, unknown> {
  const profiles: Record<string, Profile> = {};
  for (const [name, profile] of Object.entries(config.profiles)) {
    profiles[name] = { ...profile, env: Object.fromEntries(Object.entries(profile.env).map(([variable, value]) => [variable, typeof value === 'string' ? SECRET_MASK : value])) };
  }
  return { ...config, profiles };
}
