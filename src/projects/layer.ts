// A project's own configuration layer as `project/create`, `project/update` and `config/update {scope: project}`
// change it: only what was given is set, and what is about to be stored is checked first (profiles that could not
// run, plain secrets newly written, `***` that keeps a value, copyFiles patterns that leave the repository).
import type { Profile } from '../../protocol/executors.js';
import type { ProjectScripts, ScriptsLayer, SettingsLayer } from '../../protocol/project.js';
import type { ConfigValues } from '../config/document.js';
import { keepStoredSecrets, newPlainSecrets, plainSecretError } from '../executors/secrets.js';
import { validateProfiles } from '../executors/validate-profile.js';
import { assertCopyFilePatterns } from './validate.js';

/** What `project/create` and `project/update` take, as they take it. */
export interface ProjectConfigParams {
  scripts?: ScriptsLayer | undefined;
  copyFiles?: string[] | undefined;
  settings?: SettingsLayer | undefined;
  retention?: ConfigValues['retention'] | undefined;
}

/** The layer after `project/create`/`project/update` params: each given part replaces that part of the layer. */
export function layerWithParams(previous: ConfigValues, params: ProjectConfigParams): ConfigValues {
  const layer: ConfigValues = { ...previous };
  if (params.scripts !== undefined) setOrUnset(layer, 'scripts', params.scripts);
  if (params.copyFiles !== undefined) layer.copyFiles = params.copyFiles;
  if (params.settings !== undefined) {
    for (const key of ['autoCommit', 'branchPrefix', 'approvals', 'profiles'] as const) delete layer[key];
    const { autoCommit, branchPrefix, approvals, profiles } = params.settings;
    if (autoCommit !== undefined) layer.autoCommit = autoCommit;
    if (branchPrefix !== undefined) layer.branchPrefix = branchPrefix;
    if (approvals !== undefined) setOrUnset(layer, 'approvals', approvals);
    if (profiles !== undefined) layer.profiles = profiles;
  }
  if (params.retention !== undefined) setOrUnset(layer, 'retention', params.retention);
  return layer;
}

/** An empty section is no section: `{}` unsets it, so the layers below show through. */
function setOrUnset<K extends 'scripts' | 'approvals' | 'retention'>(layer: ConfigValues, key: K, value: NonNullable<ConfigValues[K]>): void {
  if (Object.values(value).some((inner) => inner !== undefined)) layer[key] = value;
  else delete layer[key];
}

/** Scripts with the defaults filled in, for the checks written against the full shape. */
export function filledScripts(scripts: ScriptsLayer | undefined): ProjectScripts {
  return { setup: [], setupMode: 'sequential', cleanup: [], archive: [], devServer: null, ...stripUndefined(scripts ?? {}) };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, inner]) => inner !== undefined)) as Partial<T>;
}

export interface LayerCheck {
  /** The layer stored before: plain values it already held stay allowed. */
  previous: ConfigValues;
  /** The profiles the project ran with before, real values: what `***` keeps. */
  effectiveProfiles: Readonly<Record<string, Profile>>;
  /** How errors name the profiles: `settings.profiles` (project/*) or `profiles` (config/update). */
  profilesField: string;
}

/** The layer to store: its profiles checked and their `***` values replaced; copyFiles patterns checked. */
export function checkedLayer(layer: ConfigValues, check: LayerCheck): ConfigValues {
  if (layer.copyFiles) assertCopyFilePatterns(layer.copyFiles);
  if (!layer.profiles) return layer;
  validateProfiles(layer.profiles, check.profilesField);
  const plain = newPlainSecrets(layer.profiles, check.previous.profiles ?? {})[0];
  if (plain) throw plainSecretError(`${check.profilesField}.${plain.name}.env.${plain.variable}`, plain.variable);
  return { ...layer, profiles: keepStoredSecrets(layer.profiles, check.effectiveProfiles, check.profilesField) };
}
