// Plumbing for merging without touching any work tree: compute the merged tree (merge-tree --write-tree, git >= 2.38),
// write a commit for it (commit-tree), and move a branch with compare-and-swap (update-ref).
import { gitFailure, gitStdout, runGit, type GitOptions } from './exec.js';
import { identityArgs } from './identity.js';
import { assertBranchName, assertRevision } from './refs.js';

export type MergeTreeResult = { readonly clean: true; readonly tree: string } | { readonly clean: false; readonly conflicts: string[] };

/** The tree a merge of `ours` and `theirs` would produce, or the files that would conflict. Nothing on disk changes. */
export async function mergeTree(path: string, options: { ours: string; theirs: string } & GitOptions): Promise<MergeTreeResult> {
  const ours = assertRevision('ours', options.ours);
  const theirs = assertRevision('theirs', options.theirs);
  const args = ['merge-tree', '--write-tree', '--name-only', '-z', '--no-messages', '--end-of-options', ours, theirs];
  const out = await runGit(args, path, options);
  if (out.exitCode === 0) return { clean: true, tree: out.stdout.split('\0')[0]!.trim() };
  if (out.exitCode === 1) {
    // Output: the tree oid, NUL, then conflicted file names each NUL-terminated, then an empty entry.
    const [, ...names] = out.stdout.split('\0');
    const conflicts = [...new Set(names.filter((n) => n.length > 0))].sort();
    return { clean: false, conflicts };
  }
  throw gitFailure(args, path, out);
}

/** Write a commit object for `tree` with these parents; returns its oid. */
export async function commitTree(path: string, options: { tree: string; parents: readonly string[]; message: string } & GitOptions): Promise<string> {
  const tree = assertRevision('tree', options.tree);
  const args = [...(await identityArgs(path, options)), 'commit-tree', tree];
  for (const [index, parent] of options.parents.entries()) args.push('-p', assertRevision(`parents[${index}]`, parent));
  args.push('-F', '-');
  return (await gitStdout(args, path, { ...options, stdin: options.message })).trim();
}

/** Point `refs/heads/<branch>` at `newOid`, only if it still points at `expectedOid`. */
export async function updateBranchRef(path: string, options: { branch: string; newOid: string; expectedOid: string; reason: string } & GitOptions): Promise<void> {
  const branch = assertBranchName('branch', options.branch);
  const args = ['update-ref', '-m', options.reason, `refs/heads/${branch}`, assertRevision('newOid', options.newOid), assertRevision('expectedOid', options.expectedOid)];
  await gitStdout(args, path, options);
}

/** True when `ancestor` is an ancestor of (or equal to) `descendant`. */
export async function isAncestor(path: string, options: { ancestor: string; descendant: string } & GitOptions): Promise<boolean> {
  const args = ['merge-base', '--is-ancestor', assertRevision('ancestor', options.ancestor), assertRevision('descendant', options.descendant)];
  const out = await runGit(args, path, options);
  if (out.exitCode === 0) return true;
  if (out.exitCode === 1) return false;
  throw gitFailure(args, path, out);
}
