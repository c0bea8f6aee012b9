// `orchd config show|validate|path`: the layered configuration for a person at a terminal. `show` asks orchd through
// the protocol (the running service when there is one, else orchd in this process), so it shows what sessions will
// run with; `validate` and `path` only read files, so they work without a data directory.
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ConfigGetResult, ConfigProblem } from '../../protocol/config.js';
import type { Project } from '../../protocol/project.js';
import { parseConfigText } from '../config/document.js';
import { readSnapshot, repositoryConfigFile, userConfigFile } from '../config/files.js';
import { OrchdError } from '../errors.js';
import { validateProfiles } from '../executors/validate-profile.js';
import { repositoryRoot } from '../git/repo.js';
import type { ConfigArgs } from './args.js';
import { connectOrReport } from './local-daemon.js';
import { describeInCliWords, PROJECT_WORDS } from './words.js';

export type ConfigCommandOptions = ConfigArgs & {
  version: string;
  cwd?: string;
  write?: (text: string) => void;
};

/** Run one `orchd config` action; resolves with the exit code. */
export async function configCommand(options: ConfigCommandOptions): Promise<number> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const cwd = options.cwd ?? process.cwd();
  switch (options.action) {
    case 'path':
      return pathAction(write, cwd, options.json);
    case 'validate':
      return validateAction(write, cwd, options.file, options.json);
    case 'show':
      return showAction(write, cwd, options);
  }
}

/** The top level of the git repository `cwd` is in, or undefined. */
async function currentRepository(cwd: string): Promise<string | undefined> {
  try {
    return realpathSync(await repositoryRoot(realpathSync(cwd)));
  } catch {
    return undefined;
  }
}

async function pathAction(write: (text: string) => void, cwd: string, json: boolean): Promise<number> {
  const user = userConfigFile();
  const root = await currentRepository(cwd);
  const repository = root === undefined ? null : repositoryConfigFile(root);
  if (json) {
    write(`${JSON.stringify({ user, repository }, null, 2)}\n`);
    return 0;
  }
  const state = (file: string) => (readSnapshot(file).exists ? '' : ' (absent)');
  write(`user        ${user}${state(user)}\n`);
  if (repository !== null) write(`repository  ${repository}${state(repository)}\n`);
  else write('repository  (not inside a git repository)\n');
  return 0;
}

interface Validated {
  file: string;
  status: 'ok' | 'absent' | 'invalid';
  problems: ConfigProblem[];
}

/** Check one file: its JSON, the schema, the secret rule, and that each profile could run (its executor exists). */
function validateFile(file: string, explicit: boolean): Validated {
  const snapshot = readSnapshot(file);
  if (!snapshot.exists) {
    if (!explicit) return { file, status: 'absent', problems: [] };
    return { file, status: 'invalid', problems: [{ file, jsonPath: '$', received: 'nothing', message: `Expected ${JSON.stringify(file)} to be a file, got nothing there` }] };
  }
  const parsed = parseConfigText(snapshot.text, { file });
  if (!parsed.ok) return { file, status: 'invalid', problems: parsed.problems };
  try {
    validateProfiles(parsed.document.profiles, '$.profiles');
  } catch (error) {
    if (!(error instanceof OrchdError)) throw error;
    const field = typeof error.details.field === 'string' ? error.details.field : '$.profiles';
    return { file, status: 'invalid', problems: [{ file, jsonPath: field, received: String(error.details.value ?? error.details.id ?? ''), message: `${error.message} (in ${JSON.stringify(file)})` }] };
  }
  return { file, status: 'ok', problems: [] };
}

async function validateAction(write: (text: string) => void, cwd: string, file: string | undefined, json: boolean): Promise<number> {
  const targets: { file: string; explicit: boolean }[] = [];
  if (file !== undefined) targets.push({ file: resolve(cwd, file), explicit: true });
  else {
    targets.push({ file: userConfigFile(), explicit: false });
    const root = await currentRepository(cwd);
    if (root !== undefined) targets.push({ file: repositoryConfigFile(root), explicit: false });
  }
  const results = targets.map((t) => validateFile(t.file, t.explicit));
  if (json) write(`${JSON.stringify({ files: results }, null, 2)}\n`);
  else {
    for (const result of results) {
      write(`${result.status.padEnd(8)}${result.file}\n`);
      for (const problem of result.problems) write(`        ${problem.message}\n`);
    }
  }
  return results.some((r) => r.status === 'invalid') ? 1 : 0;
}

async function showAction(write: (text: string) => void, cwd: string, options: ConfigCommandOptions & { action: 'show' }): Promise<number> {
  const daemon = await connectOrReport({ version: options.version, logLevel: options.logLevel, dataDir: options.dataDir });
  if (!daemon) return 1;
  try {
    await daemon.initialize({ clientName: 'orchd-config', approvals: false });
    const { projects } = await daemon.request('project/list', {});
    let project: Project | undefined;
    if (options.projectId !== undefined) project = projects.find((p) => p.id === options.projectId);
    else {
      const root = await currentRepository(cwd);
      project = root === undefined ? undefined : projects.find((p) => p.repositories.some((r) => r.path === root));
    }
    const projectId = options.projectId ?? project?.id;
    const result = await daemon.request('config/get', projectId !== undefined ? { projectId } : {});
    if (options.json) write(`${JSON.stringify({ project: project ? { id: project.id, name: project.name } : null, ...result }, null, 2)}\n`);
    else write(formatConfig(result, project));
    return 0;
  } catch (error) {
    process.stderr.write(`orchd: ${describeInCliWords(error, PROJECT_WORDS)}\n`);
    return 1;
  } finally {
    await daemon.close();
  }
}

/** The effective configuration in words: the layers, then every value with the layer it came from. */
export function formatConfig(result: ConfigGetResult, project: Pick<Project, 'id' | 'name'> | undefined): string {
  const lines = [project ? `Configuration of project ${project.name} (${project.id})` : 'Configuration at the user level (no project: defaults and the user file)', '', 'Layers, lowest first:'];
  for (const layer of result.layers) {
    const where = layer.layer === 'default' ? 'built in' : layer.layer === 'project' ? "the project's settings" : layer.file ?? '';
    lines.push(`  ${layer.layer.padEnd(11)} ${layer.status.padEnd(8)} ${where}`);
    if (layer.problem) lines.push(`  ${''.padEnd(11)} ${''.padEnd(8)} ${layer.problem.message}; the last good content is used`);
  }
  lines.push('', 'Values:');
  const paths = Object.keys(result.sources).sort();
  const width = Math.max(...paths.map((p) => p.length), 10);
  for (const path of paths) {
    // Profile names may hold dots: `profiles.<name>` is one key below `profiles`.
    const keys = path.startsWith('profiles.') ? ['profiles', path.slice('profiles.'.length)] : path.split('.');
    const value = keys.reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], result.config);
    let text = JSON.stringify(value) ?? 'undefined';
    if (text.length > 72) text = `${text.slice(0, 69)}...`;
    lines.push(`  ${path.padEnd(width)}  ${text.padEnd(40)}  ${result.sources[path]}`);
  }
  return `${lines.join('\n')}\n`;
}
