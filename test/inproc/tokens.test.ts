import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createToken, listTokens, revokeToken, TOKEN_PREFIX, verifyToken } from '../../src/auth/tokens.js';
import { OrchdError } from '../../src/errors.js';
import { silentLogger } from '../../src/log/logger.js';
import { openStore, type Store } from '../../src/store/database.js';
import { tempDir } from '../support/client.js';

describe('service-mode access tokens (the store)', () => {
  let dataDir: string;
  let store: Store;
  before(async () => {
    dataDir = tempDir();
    store = await openStore(dataDir, silentLogger);
  });
  after(async () => {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates 256-bit secrets, stores only their hash, and verifies them', async () => {
    const full = await createToken(store, {});
    const reader = await createToken(store, { name: 'dashboard', readOnly: true });
    assert.equal(full.token.name, 'token-1');
    assert.equal(full.token.readOnly, false);
    assert.equal(reader.token.readOnly, true);
    assert.ok(full.secret.startsWith(TOKEN_PREFIX));
    assert.equal(Buffer.from(full.secret.slice(TOKEN_PREFIX.length), 'base64url').length, 32);
    assert.notEqual(full.secret, reader.secret);
    const stored = JSON.stringify(store.sqlite.prepare('select * from tokens').all());
    assert.ok(!stored.includes(full.secret.slice(TOKEN_PREFIX.length)) && !stored.includes(reader.secret.slice(TOKEN_PREFIX.length)), 'no secret in the database');
    assert.deepEqual(await verifyToken(store, full.secret), full.token);
    assert.deepEqual(await verifyToken(store, reader.secret), reader.token);
    for (const wrong of ['', 'orchd_', `${full.secret}x`, full.secret.slice(TOKEN_PREFIX.length), 'orchd_' + 'A'.repeat(300)]) {
      assert.equal(await verifyToken(store, wrong), undefined, `refuses ${JSON.stringify(wrong.slice(0, 20))}`);
    }
    assert.equal((await createToken(store, {})).token.name, 'token-2');
  });

  it('refuses a taken name and a malformed one, naming the field', async () => {
    await assert.rejects(createToken(store, { name: 'dashboard' }), (error: OrchdError) => error.kind === 'alreadyExists' && /`name`/.test(error.message) && /dashboard/.test(error.message));
    for (const name of ['', '-rf', 'a b', 'x'.repeat(65), '../up']) {
      await assert.rejects(createToken(store, { name }), (error: OrchdError) => error.kind === 'invalidParams' && error.details.field === 'name' && error.message.includes(JSON.stringify(name)), name);
    }
  });

  it('revokes by name or id, once and for all; lists every token oldest first with its state', async () => {
    const { token, secret } = await createToken(store, { name: 'ci' });
    const revoked = await revokeToken(store, 'ci');
    assert.ok(revoked.revokedAt);
    assert.equal(await verifyToken(store, secret), undefined, 'a revoked token no longer verifies');
    assert.equal((await revokeToken(store, token.id)).revokedAt, revoked.revokedAt, 'revoking again changes nothing');
    await assert.rejects(revokeToken(store, 'nope'), (error: OrchdError) => error.kind === 'notFound' && /`token`/.test(error.message));
    const tokens = await listTokens(store);
    assert.deepEqual(
      tokens.map((t) => [t.name, t.readOnly, t.revokedAt !== null]),
      [
        ['token-1', false, false],
        ['dashboard', true, false],
        ['token-2', false, false],
        ['ci', false, true],
      ],
    );
  });
});
