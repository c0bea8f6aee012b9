// Protocol errors in the CLI's words. orchd names the field of the params that it refuses (`repositories[0].path`,
// `baseBranch`); a person typed a flag (`--repo`, `--base`), so the CLI says the flag. Each command lists the params
// fields it fills from what was typed.
import { describeError } from './local-daemon.js';

/** Protocol field paths (as orchd writes them, `a[0].b`) → what the person typed for them (`--repo`). */
export type CliWords = Readonly<Record<string, string>>;

/** The fields `orchd run` fills from its flags. */
export const RUN_WORDS: CliWords = {
  'repositories[0].path': '--repo',
  baseBranch: '--base',
  executor: '--agent',
  profile: '--profile',
  model: '--model',
  permissionMode: '--permission-mode',
};

/** The fields the commands that take a WORKSPACE_ID fill. */
export const WORKSPACE_WORDS: CliWords = { workspaceId: 'WORKSPACE_ID', strategy: '--strategy', cwd: '--cwd' };

/** `gc` and `config show`. */
export const PROJECT_WORDS: CliWords = { projectId: '--project' };

/** `a.0.b` (valibot's dot path) and `a[0].b` (orchd's messages) are one field. */
function canonicalPath(path: string): string {
  return path.replace(/\[(\d+)\]/g, '.$1');
}

/**
 * The message with every backticked field path that `words` knows replaced by the CLI's word for it; when one was,
 * the `Invalid params for \`method\`: ` preamble goes too (the method is the CLI's business, not the person's).
 */
export function inCliWords(message: string, words: CliWords): string {
  const byPath = new Map(Object.entries(words).map(([path, word]) => [canonicalPath(path), word]));
  let replaced = false;
  // What follows `got` is a value the person gave, never a field.
  const said = message.replace(/(?<!got )`([^`\s]+)`/g, (whole, path: string) => {
    const word = byPath.get(canonicalPath(path));
    if (word === undefined) return whole;
    replaced = true;
    return `\`${word}\``;
  });
  return replaced ? said.replace(/^Invalid params for `[^`]+`: /, '') : said;
}

/** One line for an error, in the CLI's words. */
export function describeInCliWords(error: unknown, words: CliWords): string {
  return inCliWords(describeError(error), words);
}
