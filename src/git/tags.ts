// Tags: create (lightweight or annotated), list, delete, describe.
import { OrchdError } from '../errors.js';
import { gitFailure, gitStdout, runGit, splitLines, type GitOptions } from './exec.js';
import { identityArgs } from './identity.js';
import { assertRevision, assertTagName } from './refs.js';

export interface Tag {
  readonly name: string;
  /** The commit (or other object) the tag finally points at. */
  readonly oid: string;
  /** The tag object's own id for an annotated tag; equal to `oid` for a lightweight one. */
  readonly tagOid: string;
  readonly annotated: boolean;
  /** An annotated tag's message subject; null for a lightweight tag. */
  readonly message: string | null;
}

export interface CreateTagOptions extends GitOptions {
  readonly name: string;
  /** What to tag; HEAD unless given. */
  readonly ref?: string;
  /** Given: an annotated tag with this message. Omitted: a lightweight tag. */
  readonly message?: string;
  /** Replace an existing tag of that name. */
  readonly force?: boolean;
}

/** Create a tag; `alreadyExists` when the name is taken (without `force`). */
export async function createTag(path: string, options: CreateTagOptions): Promise<{ name: string; oid: string }> {
  const name = assertTagName('name', options.name);
  const annotated = options.message !== undefined;
  const identity = annotated ? await identityArgs(path, options) : [];
  const args = [...identity, 'tag'];
  if (options.force) args.push('--force');
  if (annotated) args.push('--annotate', '--file=-', '--cleanup=strip');
  args.push('--end-of-options', name);
  if (options.ref !== undefined) args.push(assertRevision('ref', options.ref));
  const out = await runGit(args, path, { ...options, ...(annotated ? { stdin: options.message } : {}) });
  if (out.exitCode !== 0) {
    throw gitFailure(args, path, out, {
      created: { field: 'name', value: name, entity: 'tag' },
      ref: { field: 'ref', value: options.ref ?? 'HEAD' },
    });
  }
  const oid = (await gitStdout(['rev-parse', '--verify', `refs/tags/${name}^{}`], path, options)).trim();
  return { name, oid };
}

/** Tags, sorted by name. */
export async function listTags(path: string, options: GitOptions = {}): Promise<Tag[]> {
  const format = ['%(refname:strip=2)', '%(objecttype)', '%(objectname)', '%(*objectname)', '%(contents:subject)'].join('%00');
  const out = await gitStdout(['for-each-ref', '--sort=refname', `--format=${format}`, 'refs/tags'], path, options);
  return splitLines(out).map((line) => {
    const [name = '', type = '', objectName = '', peeled = '', subject = ''] = line.split('\0');
    const annotated = type === 'tag';
    return { name, oid: annotated ? peeled || objectName : objectName, tagOid: objectName, annotated, message: annotated ? subject : null };
  });
}

/** Delete a tag; `branchNotFound` when there is none of that name. */
export async function deleteTag(path: string, options: { readonly name: string } & GitOptions): Promise<void> {
  const name = assertTagName('name', options.name);
  const args = ['tag', '--delete', '--end-of-options', name];
  const out = await runGit(args, path, options);
  if (out.exitCode === 0) return;
  if (/tag '.*' not found/.test(out.stderr)) throw OrchdError.branchNotFound('name', name);
  throw gitFailure(args, path, out);
}

export interface DescribeOptions extends GitOptions {
  /** The commit; HEAD unless given. */
  readonly ref?: string;
  /** Use lightweight tags too, not only annotated ones. */
  readonly tags?: boolean;
  /** Fall back to the abbreviated commit id when no tag is reachable. */
  readonly always?: boolean;
}

/** `v1.2-3-gabc1234`: the nearest tag and distance; null when no tag is reachable (and not `always`). */
export async function describe(path: string, options: DescribeOptions = {}): Promise<string | null> {
  const args = ['describe'];
  if (options.tags) args.push('--tags');
  if (options.always) args.push('--always');
  args.push('--end-of-options', options.ref === undefined ? 'HEAD' : assertRevision('ref', options.ref));
  const out = await runGit(args, path, options);
  if (out.exitCode === 0) return out.stdout.trim();
  if (/No names found|No tags can describe|No annotated tags can describe/.test(out.stderr)) return null;
  throw gitFailure(args, path, out, { ref: { field: 'ref', value: options.ref ?? 'HEAD' } });
}
