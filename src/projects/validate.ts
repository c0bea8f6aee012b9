// Cross-field checks of a project's configuration that the schema cannot express: repository names that are safe
// directory names and unique, scripts that name repositories the project has, and copyFiles patterns inside the repository.
import * as v from 'valibot';
import { RepositoryName, type ProjectScripts } from '../../protocol/project.js';
import { OrchdError, shown } from '../errors.js';
import { checkCopyFilePattern } from '../worktrees/copy-files.js';

const FALLBACK_NAME = 'repo';

/** A safe repository name from a directory name: `-rf` → `rf`, `.foo` → `foo`, `my repo!` → `my-repo`, `...` → `repo`. */
export function deriveRepositoryName(directoryName: string): string {
  const name = directoryName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 100)
    .replace(/[^A-Za-z0-9]+$/, '');
  return v.is(RepositoryName, name) ? name : FALLBACK_NAME;
}

/** Refuse a name that is not a safe directory name (a derived name always is; this guards the rule itself). */
export function assertRepositoryName(name: string, field: string): string {
  if (!v.is(RepositoryName, name)) {
    throw OrchdError.invalidParams(field, `Expected \`${field}\` to start with a letter or digit and hold only letters, digits, \`.\`, \`_\` and \`-\` without \`..\`, got ${shown(name)}`, {
      value: name,
    });
  }
  return name;
}

/** Refuse a name another repository of the project already has, ignoring case (the worktree directories would collide). */
export function assertUniqueRepositoryName(taken: readonly { name: string }[], name: string, field: string): void {
  const folded = name.toLowerCase();
  const clash = taken.find((r) => r.name.toLowerCase() === folded);
  if (!clash) return;
  if (clash.name === name) throw OrchdError.alreadyExists('repository', field, name);
  throw new OrchdError('alreadyExists', `Expected \`${field}\` to differ from every repository name ignoring case, got ${shown(name)} beside ${shown(clash.name)}`, {
    entity: 'repository',
    field,
    value: name,
    existing: clash.name,
  });
}

interface ScriptReference {
  field: string;
  repository: string;
}

/** Every `repository` a script names, with the field that names it (`scripts.setup[0].repository`). */
function scriptReferences(scripts: ProjectScripts): ScriptReference[] {
  const references: ScriptReference[] = [];
  for (const list of ['setup', 'cleanup', 'archive'] as const) {
    for (const [index, script] of scripts[list].entries()) {
      if (script.repository !== undefined) references.push({ field: `scripts.${list}[${index}].repository`, repository: script.repository });
    }
  }
  if (scripts.devServer?.repository !== undefined) references.push({ field: 'scripts.devServer.repository', repository: scripts.devServer.repository });
  return references;
}

/**
 * Refuse scripts that name a repository the project does not have. When the name belonged to a repository this update
 * removes (and the update does not replace the scripts), the removal is what is refused.
 */
export function assertScriptRepositories(
  scripts: ProjectScripts,
  repositories: readonly { name: string }[],
  removed: readonly { id: string; name: string }[] = [],
  removeField = 'removeRepositoryIds',
  removeIds: readonly string[] = [],
): void {
  const known = repositories.map((r) => r.name);
  const knownText = known.map((n) => `\`${n}\``).join(', ');
  for (const reference of scriptReferences(scripts)) {
    if (known.includes(reference.repository)) continue;
    const removedRepository = removed.find((r) => r.name === reference.repository);
    if (removedRepository) {
      const field = `${removeField}[${removeIds.indexOf(removedRepository.id)}]`;
      throw OrchdError.invalidParams(
        field,
        `Expected \`${field}\` to name a repository no script uses, got ${shown(removedRepository.id)} (\`${reference.field}\` names ${shown(reference.repository)}; change \`scripts\` in the same update)`,
        { value: removedRepository.id, script: reference.field, known },
      );
    }
    throw OrchdError.invalidParams(reference.field, `Expected \`${reference.field}\` to name one of the project's repositories (${knownText}), got ${shown(reference.repository)}`, {
      value: reference.repository,
      known,
    });
  }
}

/** Refuse copyFiles patterns that are absolute, climb out with `..`, or reach into `.git`. */
export function assertCopyFilePatterns(patterns: readonly string[], field = 'copyFiles'): void {
  for (const [index, pattern] of patterns.entries()) checkCopyFilePattern(pattern, `${field}[${index}]`);
}
