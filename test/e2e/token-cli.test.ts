// End-to-end: `orchd token` as a person runs it, against a fresh data directory.
import assert from 'node:assert/strict';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from '../support/client.js';
import { cliEnvironment, runCli } from '../support/cli.js';

describe('orchd token', () => {
  const dataDir = tempDir();
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const orchd = (...args: string[]) => runCli([...args, '--data-dir', dataDir], cliEnvironment());

  it('creates a token shown once, lists it without the secret, and revokes it', async () => {
    const created = await orchd('token', 'create', '--name', 'ide');
    assert.equal(created.code, 0, created.stderr);
    const secret = created.stdout.split('\n').find((line) => line.startsWith('orchd_'));
    assert.ok(secret, `the secret is on a line of its own:\n${created.stdout}`);
    assert.match(created.stdout, /Created token `ide` \(tok_\w+, full access\)/);
    assert.equal(statSync(join(dataDir, 'orchd.sqlite')).mode & 0o777, 0o600, 'the database stays private');

    const reader = JSON.parse((await orchd('token', 'create', '--read-only', '--json')).stdout) as { token: { name: string; readOnly: boolean }; secret: string };
    assert.deepEqual([reader.token.name, reader.token.readOnly], ['token-1', true]);

    const listed = await orchd('token', 'list');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^ID\s+NAME\s+ACCESS\s+CREATED\s+STATE\n/);
    assert.match(listed.stdout, /ide\s+full access\s+\S+\s+active/);
    assert.match(listed.stdout, /token-1\s+read-only\s+\S+\s+active/);
    assert.ok(!listed.stdout.includes(secret!) && !listed.stdout.includes(reader.secret), 'no secret is ever listed');

    const revoked = await orchd('token', 'revoke', 'ide');
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, /Revoked token `ide` \(tok_\w+\)/);
    const json = JSON.parse((await orchd('token', 'list', '--json')).stdout) as { tokens: { name: string; revokedAt: string | null }[] };
    assert.deepEqual(
      json.tokens.map((t) => [t.name, t.revokedAt !== null]),
      [
        ['ide', true],
        ['token-1', false],
      ],
    );
  });

  it('fails with exit code 1 and a message naming what is wrong', async () => {
    const unknown = await orchd('token', 'revoke', 'nope');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Expected `token` to name an existing token, got/);
    const taken = await orchd('token', 'create', '--name', 'token-1');
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /a token named `token-1` exists/);
    const usage = await orchd('token', 'mint');
    assert.equal(usage.code, 2);
  });
});
