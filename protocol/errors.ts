// The one table of error codes on the wire. Every error orchd sends carries `data.kind`, a stable string hosts switch on.
//
// Codes:
// - JSON-RPC 2.0 standard codes (-32700, -32600..-32603).
// - Two LSP codes hosts already know: -32002 (server not initialized) and -32800 (request cancelled).
// - orchd's application range: -33999..-33000, outside the band JSON-RPC reserves (-32099..-32000).

export const APPLICATION_ERROR_RANGE = { min: -33999, max: -33000 } as const;

export const ERRORS = {
  parseError: { code: -32700, summary: "The frame's body is not valid JSON" },
  invalidRequest: { code: -32600, summary: 'The message is not a valid JSON-RPC request' },
  methodNotFound: { code: -32601, summary: 'No such method' },
  invalidParams: { code: -32602, summary: 'The params do not match the method schema; `data.issues` lists each problem' },
  internal: { code: -32603, summary: 'An unexpected failure inside orchd; the stack is logged to stderr' },
  notInitialized: { code: -32002, summary: 'A request arrived before `initialize`' },
  cancelled: { code: -32800, summary: 'The request was cancelled by `$/cancelRequest`' },

  alreadyInitialized: { code: -33000, summary: '`initialize` was sent twice on one connection' },
  protocolVersionUnsupported: { code: -33001, summary: 'The client speaks a protocol version orchd does not; `data.supported` gives the range' },
  shuttingDown: { code: -33002, summary: 'The server received `shutdown` and accepts only `exit`' },
  forbidden: { code: -33003, summary: 'The connection may not call this method: a read-only connection calls only methods that change nothing; `data.method` names it' },
  notFound: { code: -33010, summary: 'No entity of that kind with that id; `data.entity` and `data.id` name it' },
  alreadyExists: { code: -33011, summary: 'An entity with that identity already exists' },
  invalidState: { code: -33012, summary: 'The entity is not in a state that allows the operation' },
  invalidTransition: { code: -33013, summary: 'A status change that the state machine does not allow; `data.from` and `data.to` name it' },
  pathNotFound: { code: -33020, summary: 'A path does not exist' },
  notAGitRepository: { code: -33021, summary: 'A path exists but is not inside a git repository' },
  pathOutsideWorkspace: { code: -33022, summary: 'A path resolves outside the directory it must stay in' },
  invalidRef: { code: -33023, summary: 'A branch, ref or remote name that git would reject or that starts with `-`' },
  conflict: { code: -33024, summary: 'The file changed since the client read it (`expectedHash` no longer matches); `data.currentHash` is what is on disk now (null: it is gone)' },
  fileTooLarge: { code: -33025, summary: 'The file is larger than one read returns; read it in pieces with `range`; `data.size` is its size' },
  notADirectory: { code: -33026, summary: 'The path names a file where a directory is needed, or a directory where a file is' },
  invalidConfig: { code: -33031, summary: 'A configuration document is invalid; `data.file`, `data.jsonPath` and `data.received` say where and what' },
  dataDirUnavailable: { code: -33030, summary: 'The data directory cannot be created, opened or migrated' },
  executorUnavailable: { code: -33040, summary: "The executor's agent CLI is not installed or does not run; `data.hint` says what to install" },

  gitFailed: { code: -33100, summary: 'git exited with an error orchd has no narrower kind for; `data.stderr` has its words' },
  gitNotFound: { code: -33101, summary: 'No git executable could be found' },
  branchExists: { code: -33102, summary: 'A branch with that name already exists' },
  branchNotFound: { code: -33103, summary: 'No branch or ref with that name' },
  dirtyWorkingTree: { code: -33104, summary: 'Uncommitted changes would be lost or block the operation' },
  mergeConflict: { code: -33105, summary: 'The operation stopped on conflicts; `data.files` lists them' },
  lockHeld: { code: -33106, summary: "Another git process holds the repository's lock" },
  nothingToCommit: { code: -33107, summary: 'There is nothing to commit' },
  remoteFailed: { code: -33108, summary: 'A fetch, pull or push to a remote failed' },
  lfsNotInstalled: { code: -33109, summary: 'git-lfs is not installed' },
  rebaseInProgress: { code: -33110, summary: 'A rebase, merge or cherry-pick is already in progress' },
} as const satisfies Record<string, { code: number; summary: string }>;

export type ErrorKind = keyof typeof ERRORS;

/** The error code for a kind. */
export function errorCode(kind: ErrorKind): number {
  return ERRORS[kind].code;
}
