// Access tokens for service mode: created, listed and revoked by whoever can open the data directory (0700, so the
// user who owns it: file access is the admin boundary); checked by the WebSocket transport before any JSON-RPC is read.
// A secret is 256 random bits, shown once; only its SHA-256 is stored, so the database never holds a usable token.
import { createHash, randomBytes } from 'node:crypto';
import { OrchdError } from '../errors.js';
import type { Store } from '../store/database.js';
import { newId } from '../util/ids.js';

/** Every secret starts with this, so a leaked one is easy to recognise (and to scan for). */
export const TOKEN_PREFIX = 'orchd_';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface TokenRecord {
  id: string;
  name: string;
  readOnly: boolean;
  createdAt: string;
  revokedAt: string | null;
}

export interface CreatedToken {
  token: TokenRecord;
  /** The secret: shown once, never stored. */
  secret: string;
}

const hashOf = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');

interface Row {
  id: string;
  name: string;
  read_only: number;
  created_at: string;
  revoked_at: string | null;
}

const toRecord = (row: Row): TokenRecord => ({ id: row.id, name: row.name, readOnly: row.read_only === 1, createdAt: row.created_at, revokedAt: row.revoked_at });

/** Create a token; `name` defaults to `token-<n>`. Names are unique among all tokens, revoked ones included. */
export async function createToken(store: Store, options: { name?: string | undefined; readOnly?: boolean }): Promise<CreatedToken> {
  const name = options.name ?? (await nextDefaultName(store));
  if (!NAME.test(name)) {
    throw OrchdError.invalidParams('name', `Expected \`name\` to be 1-64 letters, digits, '.', '_' or '-' (not starting with a symbol), got ${JSON.stringify(name)}`);
  }
  const taken = await store.db.selectFrom('tokens').select('id').where('name', '=', name).executeTakeFirst();
  if (taken) throw new OrchdError('alreadyExists', `Expected \`name\` to be unused, but a token named \`${name}\` exists`, { field: 'name', name });
  const secret = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const row: Row = { id: newId('tok'), name, read_only: options.readOnly ? 1 : 0, created_at: new Date().toISOString(), revoked_at: null };
  await store.db
    .insertInto('tokens')
    .values({ ...row, hash: hashOf(secret) })
    .execute();
  return { token: toRecord(row), secret };
}

/** Every token, oldest first, without secrets (there are none to show). */
export async function listTokens(store: Store): Promise<TokenRecord[]> {
  const rows = await store.db.selectFrom('tokens').select(['id', 'name', 'read_only', 'created_at', 'revoked_at']).orderBy('created_at').orderBy('id').execute();
  return rows.map(toRecord);
}

/** Revoke a token by id or name; revoking twice is not an error (it stays revoked since the first time). */
export async function revokeToken(store: Store, idOrName: string): Promise<TokenRecord> {
  const row = await store.db.selectFrom('tokens').select(['id', 'name', 'read_only', 'created_at', 'revoked_at']).where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)])).executeTakeFirst();
  if (!row) throw OrchdError.notFound('token', idOrName, 'token');
  if (row.revoked_at) return toRecord(row);
  const revokedAt = new Date().toISOString();
  await store.db.updateTable('tokens').set({ revoked_at: revokedAt }).where('id', '=', row.id).execute();
  return toRecord({ ...row, revoked_at: revokedAt });
}

/** The live token this secret belongs to, or undefined (unknown, malformed or revoked). */
export async function verifyToken(store: Store, secret: string): Promise<TokenRecord | undefined> {
  if (!secret.startsWith(TOKEN_PREFIX) || secret.length > 256) return undefined;
  const row = await store.db.selectFrom('tokens').select(['id', 'name', 'read_only', 'created_at', 'revoked_at']).where('hash', '=', hashOf(secret)).executeTakeFirst();
  return row && !row.revoked_at ? toRecord(row) : undefined;
}

async function nextDefaultName(store: Store): Promise<string> {
  const names = new Set((await store.db.selectFrom('tokens').select('name').execute()).map((r) => r.name));
  for (let n = 1; ; n++) if (!names.has(`token-${n}`)) return `token-${n}`;
}
