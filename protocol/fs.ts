// fs/*: files inside a workspace's worktrees for an IDE host (docs/files.md). Every path is relative to one worktree
// (the workspace's first repository unless `repository` names another) and is confined to it by real path: `..`,
// absolute paths and symlinks that lead outside are refused with `pathOutsideWorkspace`; `.git` is never writable.
import * as v from 'valibot';
import { Id, ProgressToken, Timestamp } from './common.js';
import { DiffStats } from './workspace.js';

const RelativePath = (what: string) => v.pipe(v.string(), v.maxLength(4096), v.description(what));
const FilePath = RelativePath('A path relative to the worktree, `/`-separated (`src/main.ts`)');
const Hash = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/), v.description('SHA-256 of the whole file, lowercase hex'));
const RepositoryRef = v.optional(v.pipe(Id, v.description("The repository whose worktree `path` is in; default: the workspace's first")));

export const FileEncoding = v.picklist(['utf8', 'base64']);
export const FileType = v.picklist(['file', 'directory', 'symlink', 'other']);

export const FileStat = v.strictObject({
  path: v.pipe(v.string(), v.description('Relative to the worktree, `/`-separated; `` for the worktree itself')),
  type: FileType,
  size: v.pipe(v.number(), v.integer(), v.description('Bytes (for a symlink: of the link itself)')),
  mtime: Timestamp,
  mode: v.pipe(v.number(), v.integer(), v.description('Permission bits, e.g. 420 (0644)')),
  ignored: v.optional(v.pipe(v.boolean(), v.description('Listed only with `includeIgnored`: git ignores this path'))),
  target: v.optional(v.pipe(v.string(), v.description("A symlink's target as written in the link"))),
});

export const FsPathParams = v.strictObject({ workspaceId: Id, repository: RepositoryRef, path: FilePath });

export const FsReadParams = v.strictObject({
  workspaceId: Id,
  repository: RepositoryRef,
  path: FilePath,
  encoding: v.optional(v.pipe(FileEncoding, v.description('How `content` is returned; a binary file always comes back as base64')), 'utf8'),
  range: v.optional(
    v.pipe(
      v.strictObject({
        offset: v.pipe(v.number(), v.integer(), v.minValue(0)),
        length: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(16 * 1024 * 1024)),
      }),
      v.description('Read only these bytes (required for files over 16 MB)'),
    ),
  ),
});
export const FsReadResult = v.strictObject({
  path: v.string(),
  content: v.string(),
  encoding: v.pipe(FileEncoding, v.description('How `content` is encoded: what was asked for, or base64 for a binary file and for bytes that are not valid UTF-8 (so writing back what was read never changes a byte)')),
  binary: v.pipe(v.boolean(), v.description('The file holds a NUL byte in its first 8 KB (as git decides)')),
  size: v.pipe(v.number(), v.integer(), v.description('Size of the whole file')),
  mtime: Timestamp,
  hash: Hash,
  range: v.optional(v.strictObject({ offset: v.number(), length: v.number() })),
});

export const FsWriteParams = v.strictObject({
  workspaceId: Id,
  repository: RepositoryRef,
  path: FilePath,
  content: v.pipe(v.string(), v.maxLength(64 * 1024 * 1024)),
  encoding: v.optional(FileEncoding, 'utf8'),
  expectedHash: v.optional(
    v.pipe(
      v.nullable(Hash),
      v.description('Write only if the file on disk still has this hash (`null`: only if it does not exist); otherwise fail with `conflict` carrying `data.currentHash`'),
    ),
  ),
  createParents: v.optional(v.pipe(v.boolean(), v.description('Create missing parent directories')), false),
});
export const FsWriteResult = v.strictObject({ stat: FileStat, hash: Hash });

export const FsListParams = v.strictObject({
  workspaceId: Id,
  repository: RepositoryRef,
  path: v.optional(RelativePath('A directory relative to the worktree; default: the worktree'), ''),
  depth: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(64), v.description('1: the directory itself; 2: and its subdirectories, ...')), 1),
  includeIgnored: v.optional(v.pipe(v.boolean(), v.description('Also list what .gitignore excludes (marked `ignored`)')), false),
  maxEntries: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100_000)), 10_000),
});
export const FsListResult = v.strictObject({
  entries: v.pipe(v.array(FileStat), v.description("Breadth first: the directory's entries, then those one level down, and so on; each directory's entries directories first, then by name. `.git` is never listed, and symlinked directories are not walked into")),
  truncated: v.boolean(),
});

export const FsStatResult = v.strictObject({ stat: FileStat });

export const FsMkdirParams = v.strictObject({ workspaceId: Id, repository: RepositoryRef, path: FilePath, recursive: v.optional(v.boolean(), true) });

export const FsMoveParams = v.strictObject({
  workspaceId: Id,
  repository: RepositoryRef,
  from: FilePath,
  to: FilePath,
  overwrite: v.optional(v.pipe(v.boolean(), v.description('Replace what exists at `to`: a file or symlink, or an empty directory when `from` is a directory')), false),
});

export const FsDeleteParams = v.strictObject({
  workspaceId: Id,
  repository: RepositoryRef,
  path: FilePath,
  recursive: v.optional(v.pipe(v.boolean(), v.description('Required to delete a non-empty directory')), false),
});

export const SearchMatch = v.strictObject({
  repositoryId: Id,
  path: v.string(),
  line: v.pipe(v.number(), v.integer(), v.description('1-based')),
  column: v.pipe(v.number(), v.integer(), v.description('1-based, in UTF-16 code units of the line (JavaScript string indexes, as LSP positions); git reports the first match of each matching line')),
  length: v.pipe(v.number(), v.integer(), v.description('UTF-16 code units matched (for a regular expression, as JavaScript reads it; 0 when it cannot)')),
  preview: v.pipe(v.string(), v.description('The line without its line ending, cut to 500 code units around the match when longer')),
  previewOffset: v.pipe(v.number(), v.integer(), v.description('Where `preview` starts in the line, in UTF-16 code units (0 unless the line was cut): the match is at `column - 1 - previewOffset` in `preview`')),
});

export const FsSearchParams = v.strictObject({
  workspaceId: Id,
  repository: v.optional(v.pipe(Id, v.description("Search only this repository's worktree; default: every worktree of the workspace"))),
  query: v.pipe(v.string(), v.minLength(1), v.maxLength(1000)),
  regex: v.optional(v.pipe(v.boolean(), v.description('`query` is a POSIX extended regular expression')), false),
  caseSensitive: v.optional(v.boolean(), false),
  wholeWord: v.optional(v.boolean(), false),
  globs: v.optional(v.pipe(v.array(v.pipe(v.string(), v.minLength(1))), v.description('Search only paths matching one of these (`src/**/*.ts`); `!pattern` excludes'))),
  maxResults: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100_000)), 2_000),
  progressToken: ProgressToken,
});
export const FsSearchResult = v.strictObject({
  matches: v.pipe(v.array(SearchMatch), v.description('With a `progressToken`, matches already sent in `partial` progress reports are not repeated here')),
  truncated: v.pipe(v.boolean(), v.description('`maxResults` was reached')),
});

export const FoundFile = v.strictObject({
  repositoryId: Id,
  path: v.string(),
  score: v.pipe(v.number(), v.description('Higher is a better match')),
  positions: v.pipe(v.array(v.number()), v.description('Indexes in `path` (UTF-16 code units, ascending) of the characters that matched, for highlighting')),
});

export const FsFindFilesParams = v.strictObject({
  workspaceId: Id,
  repository: v.optional(Id),
  query: v.pipe(v.string(), v.maxLength(1000), v.description('Characters that must appear in order in the path (fuzzy); empty: every file')),
  maxResults: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10_000)), 100),
  progressToken: ProgressToken,
});
export const FsFindFilesResult = v.strictObject({
  files: v.pipe(v.array(FoundFile), v.description('Best first; tracked and untracked files that git does not ignore')),
  truncated: v.boolean(),
});

export const FsWatchParams = v.strictObject({
  workspaceId: Id,
  globs: v.optional(
    v.pipe(
      v.array(v.pipe(v.string(), v.minLength(1))),
      v.description(
        'Report only paths (relative to their worktree) matching one of these: `src/**/*.ts` (`*` stays within a directory), `docs` (a pattern without glob characters covers that path and all below it); `!pattern` excludes; default: everything',
      ),
    ),
  ),
  includeIgnored: v.optional(v.pipe(v.boolean(), v.description('Also report what .gitignore excludes (and walk ignored directories such as node_modules to do so)')), false),
  diff: v.optional(v.pipe(v.boolean(), v.description('Also send `workspace/diffChanged` as the workspace diff against its base changes')), true),
});
export const FsWatchResult = v.strictObject({ watchId: Id });
export const FsUnwatchParams = v.strictObject({ watchId: Id });

export const FileChange = v.strictObject({
  repositoryId: Id,
  path: v.string(),
  type: v.picklist(['created', 'changed', 'deleted']),
});
export const FsChangedNotification = v.strictObject({
  watchId: Id,
  workspaceId: Id,
  changes: v.pipe(v.array(FileChange), v.description('Coalesced: at most one notification per 50 ms per watch, one change per path')),
  truncated: v.optional(
    v.pipe(
      v.literal(true),
      v.description('More paths changed in this window than one notification carries (10,000); the rest were left out, so re-read what you show'),
    ),
  ),
});
export const FsWatchEndedNotification = v.strictObject({
  watchId: Id,
  workspaceId: Id,
  reason: v.pipe(v.string(), v.description('`workspace deleted`, `workspace archived`, or why the watcher failed')),
});
export const WorkspaceDiffChangedNotification = v.strictObject({
  workspaceId: Id,
  stats: DiffStats,
  repositories: v.array(v.strictObject({ repositoryId: Id, stats: DiffStats })),
});

export type FileStat = v.InferOutput<typeof FileStat>;
export type FsReadParams = v.InferOutput<typeof FsReadParams>;
export type FsReadResult = v.InferOutput<typeof FsReadResult>;
export type FsWriteParams = v.InferOutput<typeof FsWriteParams>;
export type FsListParams = v.InferOutput<typeof FsListParams>;
export type FsMoveParams = v.InferOutput<typeof FsMoveParams>;
export type FsDeleteParams = v.InferOutput<typeof FsDeleteParams>;
export type FsMkdirParams = v.InferOutput<typeof FsMkdirParams>;
export type SearchMatch = v.InferOutput<typeof SearchMatch>;
export type FsSearchParams = v.InferOutput<typeof FsSearchParams>;
export type FoundFile = v.InferOutput<typeof FoundFile>;
export type FsFindFilesParams = v.InferOutput<typeof FsFindFilesParams>;
export type FsWatchParams = v.InferOutput<typeof FsWatchParams>;
export type FileChange = v.InferOutput<typeof FileChange>;
export type FsChangedNotification = v.InferOutput<typeof FsChangedNotification>;
export type FsWatchEndedNotification = v.InferOutput<typeof FsWatchEndedNotification>;
export type WorkspaceDiffChangedNotification = v.InferOutput<typeof WorkspaceDiffChangedNotification>;
