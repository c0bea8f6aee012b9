// The operations behind `config/get` and `config/update`: read the effective configuration with its sources and
// layers; apply a JSON merge patch to the user's file (written atomically) or to a project's own layer (one
// transaction with its `config/changed` and `project/updated` events).
import { CONFIG_VERSION, type ConfigGetResult } from '../../protocol/config.js';
import { SECRET_MASK } from '../../protocol/executors.js';
import type { Engine } from '../engine.js';
import { OrchdError } from '../errors.js';
import { transact } from '../events/unit-of-work.js';
import { validateProfiles } from '../executors/validate-profile.js';
import { checkedLayer, filledScripts } from '../projects/layer.js';
import { projectRow, projectView, type ProjectRecord } from '../projects/store.js';
import { assertScriptRepositories } from '../projects/validate.js';
import { checkConfigDocument, invalidConfigError, isPlainObject, layerValues, parseConfigText } from './document.js';
import { readSnapshot, writeFileAtomic } from './files.js';
import { applyMergePatch } from './merge.js';
import { configForProtocol, effectiveView, requireProjectRecord, userLevelView } from './service.js';

/** `config/get`: a project's effective configuration, or without one the user level. */
export function getConfig(engine: Engine, projectId?: string): ConfigGetResult {
  const view = projectId === undefined ? userLevelView(engine) : effectiveView(engine, requireProjectRecord(engine, projectId));
  return { config: configForProtocol(view.config), sources: view.sources, layers: view.layers };
}

/**
 * `config/update {scope: 'user'}`: the patch applied to the file as it is on disk (not to the last good content: a
 * patch may repair a broken value), checked, then written atomically. A file that is not JSON is refused: orchd does
 * not overwrite what it cannot read.
 */
export async function updateUserConfig(engine: Engine, patch: Record<string, unknown>, projectId?: string): Promise<ConfigGetResult> {
  if (projectId !== undefined) requireProjectRecord(engine, projectId);
  const service = engine.config;
  const file = service.userFile;
  service.file(file, true); // known before the write, so the write is a change that is announced
  const snapshot = readSnapshot(file);
  let current: Record<string, unknown> = {};
  if (snapshot.exists) {
    let value: unknown;
    try {
      value = JSON.parse(snapshot.text);
    } catch {
      const parsed = parseConfigText(snapshot.text, { file });
      throw invalidConfigError(parsed.ok ? [] : parsed.problems);
    }
    if (!isPlainObject(value)) {
      const checked = checkConfigDocument(value, { file });
      throw invalidConfigError(checked.ok ? [] : checked.problems);
    }
    current = value;
  }
  const patched = applyMergePatch(current, patch) as Record<string, unknown>;
  keepMaskedValues(patched, current);
  const checked = checkConfigDocument(patched, { file });
  if (!checked.ok) throw invalidConfigError(checked.problems);
  validateProfiles(checked.document.profiles, 'profiles');
  const document = snapshot.exists || patched.version !== undefined ? patched : { version: CONFIG_VERSION, ...patched };
  writeFileAtomic(file, `${JSON.stringify(document, null, 2)}\n`);
  const { state, changed } = service.reload(file, { announce: false, force: true });
  if (changed) await service.announce(file, state);
  return getConfig(engine, projectId);
}

/** `***` (what `config/get` shows for a value) in a patched file keeps the value the file had there. */
function keepMaskedValues(patched: Record<string, unknown>, current: Record<string, unknown>): void {
  const profiles = patched.profiles;
  if (!isPlainObject(profiles)) return;
  for (const [name, profile] of Object.entries(profiles)) {
    if (!isPlainObject(profile) || !isPlainObject(profile.env)) continue;
    for (const [variable, value] of Object.entries(profile.env)) {
      if (value !== SECRET_MASK) continue;
      const before = isPlainObject(current.profiles) && isPlainObject(current.profiles[name]) ? (current.profiles[name] as Record<string, unknown>).env : undefined;
      const kept = isPlainObject(before) ? before[variable] : undefined;
      const path = `$.profiles.${name}.env.${variable}`;
      if (kept === undefined) throw new OrchdError('invalidConfig', `Expected ${path} to be a value (\`${SECRET_MASK}\` keeps the value the file has, and it has none), got \`${SECRET_MASK}\``, { file: null, jsonPath: path, received: SECRET_MASK });
      profile.env[variable] = kept;
    }
  }
}

/** `config/update {scope: 'project'}`: the patch applied to the project's own layer, with its events, in one transaction. */
export async function updateProjectConfig(engine: Engine, projectId: string, patch: Record<string, unknown>): Promise<ConfigGetResult> {
  await transact(engine, async (trx, emit) => {
    const before = requireProjectRecord(engine, projectId);
    const patched = applyMergePatch(before.layer, patch) as Record<string, unknown>;
    delete patched.$schema;
    delete patched.version;
    // Plain values stored before the secret rule stay readable; `checkedLayer` refuses new ones.
    const checked = checkConfigDocument(patched, { file: null, refusePlainSecrets: false });
    if (!checked.ok) throw invalidConfigError(checked.problems);
    const effectiveProfiles = effectiveView(engine, before).config.profiles;
    const layer = checkedLayer(layerValues(checked.document), { previous: before.layer, effectiveProfiles, profilesField: 'profiles' });
    assertScriptRepositories(filledScripts(layer.scripts), before.repositories);
    const row = projectRow({ ...before, layer, updatedAt: new Date().toISOString() });
    const record: ProjectRecord = { ...before, layer, layerText: row.config, layerProblem: null, updatedAt: row.updated_at };
    const { id, ...columns } = row;
    await trx.updateTable('projects').set(columns).where('id', '=', id).execute();
    emit('config/changed', { scope: 'project', projectId, file: null }, { projectId });
    emit('project/updated', { project: projectView(record, effectiveView(engine, record).config) }, { projectId });
  });
  return getConfig(engine, projectId);
}
