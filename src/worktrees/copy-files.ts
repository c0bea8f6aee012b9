// Copy the project's configured files (typically ignored ones such as `.env`) from the main checkout into a new
// worktree. Patterns are repository-relative paths or globs; nothing outside the repository is ever read.
import { cp, lstat, readdir } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { OrchdError } from '../errors.js';
import { globToRegExp, isGlob } from '../util/glob.js';

const SKIPPED_DIRECTORIES = new Set(['.git']);

/** Copy every file or directory the patterns name; returns the repository-relative paths copied. */
export async function copyConfiguredFiles(sourceRoot: string, worktreeRoot: string, patterns: readonly string[]): Promise<string[]> {
  const copied: string[] = [];
  for (const [index, pattern] of patterns.entries()) {
    const field = `copyFiles[${index}]`;
    const matches = isGlob(pattern) ? await globMatches(sourceRoot, pattern) : [literalPath(sourceRoot, pattern, field)];
    for (const rel of matches) {
      const from = join(sourceRoot, rel);
      const exists = await lstat(from).catch(() => null);
      if (!exists) continue;
      const to = join(worktreeRoot, rel);
      await mkdir(dirname(to), { recursive: true });
      await cp(from, to, { recursive: true, force: true, errorOnExist: false, verbatimSymlinks: true });
      copied.push(rel.split(sep).join('/'));
    }
  }
  return copied;
}

function literalPath(root: string, pattern: string, field: string): string {
  const target = resolve(root, pattern);
  const rel = relative(root, target);
  if (!rel || rel.startsWith('..') || rel.split(sep)[0] === '.git') throw OrchdError.pathOutsideWorkspace(field, pattern, root);
  return rel;
}

async function globMatches(root: string, pattern: string): Promise<string[]> {
  const normalized = pattern.replace(/^\.\//, '');
  if (normalized.startsWith('/') || normalized.split('/').includes('..')) throw OrchdError.pathOutsideWorkspace('copyFiles', pattern, root);
  const regex = globToRegExp(normalized);
  // Only descend into node_modules when the pattern asks for it: it is large and rarely wanted.
  const intoNodeModules = normalized.includes('node_modules');
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(join(root, dir), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (SKIPPED_DIRECTORIES.has(entry.name) || (entry.name === 'node_modules' && !intoNodeModules)) continue;
        await walk(rel);
      } else if (regex.test(rel)) found.push(rel);
    }
  };
  await walk('');
  return found.sort();
}
