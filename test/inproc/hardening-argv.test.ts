// Issue 10, items 4 and 5b: no request value reaches an agent's argv as a flag, permission modes are the ones the
// executor declares, and profile `env` values (API keys) never leave the engine, while the agent still gets them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Event } from '../../protocol/events.js';
import { startAgentFixture, stopAgentFixture, type InProcessOrchd } from '../support/inproc.js';
import { waitUntil } from '../support/wait.js';

const SECRET = 'sk-live-do-not-leak-4711';


describe('hardening: agent argv and profile secrets (in-process)', () => {
  let orchd: InProcessOrchd;
  let repo: string;
  let agentHome: string;
  let events: () => Event[];
  before(async () => {
    ({ orchd, repo, agentHome, events } = await startAgentFixture());
  });
  after(() => stopAgentFixture({ orchd, repo, agentHome }));

  const project = async (name: string, settings?: Record<string, unknown>) =>
    (await orchd.client.request('project/create', { name, repositories: [{ path: repo, name: 'app' }], ...(settings ? { settings: settings as never } : {}) })).project;
  const workspace = async (projectId: string, title: string) => {
    const task = (await orchd.client.request('task/create', { projectId, title })).task;
    return (await orchd.client.request('workspace/create', { taskId: task.id })).workspace;
  };
  const finished = (sessionId: string, count = 1) =>
    waitUntil(() => events().filter((e) => e.kind === 'notification' && e.sessionId === sessionId).length >= count, `session ${sessionId} to finish ${count} turn(s)`, 30_000);

  it('refuses a `model` that would be read as a flag, before anything starts', async () => {
    const p = await project('Injected model');
    const ws = await workspace(p.id, 'model');
    const failure = await orchd.client.failure('session/start', { workspaceId: ws.id, executor: 'scripted-agent', model: '--dangerously-skip-permissions', prompt: 'hi' });
    assert.equal(failure.data.kind, 'invalidParams');
    assert.equal(failure.data.field, 'model');
    assert.equal(failure.message, 'Expected `model` not to start with `-`, got `--dangerously-skip-permissions`');
    assert.deepEqual((await orchd.client.request('session/list', { workspaceId: ws.id })).sessions, []);
  });

  it('refuses a `command` whose program is a flag, and a permission mode the executor does not declare', async () => {
    const p = await project('Injected command');
    const ws = await workspace(p.id, 'command');
    const command = await orchd.client.failure('session/start', { workspaceId: ws.id, executor: 'acp', command: ['--help'], prompt: 'hi' });
    assert.equal(command.data.kind, 'invalidParams');
    assert.equal(command.data.field, 'command[0]');
    assert.match(command.message, /^Expected `command\[0\]` not to start with `-`, got `--help`$/);
    const mode = await orchd.client.failure('session/start', { workspaceId: ws.id, executor: 'scripted-agent', permissionMode: '--dangerously-skip-permissions', prompt: 'hi' });
    assert.equal(mode.data.kind, 'invalidParams');
    assert.equal(mode.data.field, 'permissionMode');
    assert.match(mode.message, /^Expected `permissionMode` for executor `scripted-agent` to be one of `default`, `acceptEdits`, .*`bypassPermissions`.*, got `--dangerously-skip-permissions`$/);
    const yolo = await orchd.client.failure('session/start', { workspaceId: ws.id, executor: 'claude-code', permissionMode: 'yolo', prompt: 'hi' });
    assert.equal(yolo.data.kind, 'invalidParams');
    assert.deepEqual(yolo.data.allowed, ['default', 'acceptEdits', 'plan', 'bypassPermissions', 'dontAsk', 'auto']);
    const gemini = await orchd.client.failure('session/start', { workspaceId: ws.id, executor: 'gemini', permissionMode: 'default', prompt: 'hi' });
    assert.match(gemini.message, /^Expected `permissionMode` to be unset for executor `gemini` \(it takes none\), got `default`$/);
    assert.deepEqual((await orchd.client.request('session/list', { workspaceId: ws.id })).sessions, []);
  });

  it('lists every executor with the permission modes it declares', async () => {
    const { executors } = await orchd.client.request('executor/list', {});
    const byId = new Map(executors.map((e: any) => [e.id, e]));
    assert.deepEqual((byId.get('scripted-agent') as any).permissionModes, ['default', 'acceptEdits', 'plan', 'bypassPermissions', 'dontAsk', 'auto']);
    assert.equal((byId.get('scripted-agent') as any).defaultPermissionMode, 'acceptEdits');
    assert.deepEqual((byId.get('codex-exec') as any).permissionModes, ['read-only', 'workspace-write', 'danger-full-access', 'bypassPermissions']);
    assert.equal((byId.get('codex-exec') as any).defaultPermissionMode, 'workspace-write');
    assert.deepEqual((byId.get('gemini') as any).permissionModes, []);
    for (const executor of executors as any[]) assert.ok(Array.isArray(executor.permissionModes), `${executor.id} lists its permission modes`);
  });

  it('refuses profiles with flag-like values or undeclared modes at project/create and project/update', async () => {
    const model = await orchd.client.failure('project/create', {
      name: 'Bad profile',
      repositories: [{ path: repo, name: 'app' }],
      settings: { profiles: { fast: { executor: 'scripted-agent', model: '-x' } } },
    });
    assert.equal(model.data.kind, 'invalidParams');
    assert.equal(model.data.field, 'settings.profiles.fast.model');
    assert.equal(model.message, 'Expected `settings.profiles.fast.model` not to start with `-`, got `-x`');
    const mode = await orchd.client.failure('project/create', {
      name: 'Bad profile',
      repositories: [{ path: repo, name: 'app' }],
      settings: { profiles: { fast: { executor: 'droid', permissionMode: 'acceptEdits' } } },
    });
    assert.equal(mode.data.field, 'settings.profiles.fast.permissionMode');
    assert.match(mode.message, /`readOnly`, `low`, `medium`, `high`, `bypassPermissions`, got `acceptEdits`$/);
    const executor = await orchd.client.failure('project/create', { name: 'Bad profile', repositories: [{ path: repo, name: 'app' }], settings: { profiles: { fast: { executor: 'nope' } } } });
    assert.equal(executor.data.kind, 'notFound');
    assert.equal(executor.data.field, 'settings.profiles.fast.executor');
    const p = await project('Good profile', { profiles: { fast: { executor: 'scripted-agent' } } });
    const update = await orchd.client.failure('project/update', { projectId: p.id, settings: { profiles: { fast: { executor: 'acp', command: ['-c', 'evil'] } } } });
    assert.equal(update.data.field, 'settings.profiles.fast.command[0]');
    // Flags in `extraArgs` are the project owner's explicit choice, so they are allowed there.
    const flags = (await orchd.client.request('project/update', { projectId: p.id, settings: { profiles: { fast: { executor: 'scripted-agent', extraArgs: ['--effort', 'high'] } } } })).project;
    assert.deepEqual(flags.settings.profiles!.fast!.extraArgs, ['--effort', 'high']);
  });

  it('shows profile env values as `***` in results and events, while the agent gets the real value', async () => {
    // A secret-looking variable takes a reference to orchd's environment, never a plain value (issue 14).
    const plain = await orchd.client.failure('project/create', { name: 'Plain secret', repositories: [{ path: repo, name: 'app' }], settings: { profiles: { keyed: { executor: 'scripted-agent', env: { SECRET_TOKEN: SECRET } } } } });
    assert.equal(plain.data.field, 'settings.profiles.keyed.env.SECRET_TOKEN');
    assert.ok(!plain.message.includes(SECRET));
    process.env.ORCHD_TEST_SECRET_TOKEN = SECRET;
    const created = await project('Secret', { profiles: { keyed: { executor: 'scripted-agent', permissionMode: 'bypassPermissions', env: { SECRET_TOKEN: { env: 'ORCHD_TEST_SECRET_TOKEN' }, EMPTY_ONE: '' } } } });
    assert.deepEqual(created.settings.profiles!.keyed!.env, { SECRET_TOKEN: '***', EMPTY_ONE: '***' });
    const got = (await orchd.client.request('project/get', { projectId: created.id })).project;
    assert.deepEqual(got.settings.profiles!.keyed!.env, { SECRET_TOKEN: '***', EMPTY_ONE: '***' });
    const listed = (await orchd.client.request('project/list', {})).projects.find((x: any) => x.id === created.id)!;
    assert.equal((listed.settings.profiles as any).keyed.env.SECRET_TOKEN, '***');

    const ws = await workspace(created.id, 'secret');
    const { session } = await orchd.client.request('session/start', { workspaceId: ws.id, profile: 'keyed', prompt: '@bash printf %s "$SECRET_TOKEN" > seen-1.txt' });
    assert.deepEqual(session.profile.env, { SECRET_TOKEN: '***', EMPTY_ONE: '***' });
    await finished(session.id);
    const worktree = ws.repositories[0]!.path;
    assert.equal(readFileSync(join(worktree, 'seen-1.txt'), 'utf8'), SECRET);

    // A follow-up runs from the stored session profile: still the real value.
    await orchd.client.request('session/followUp', { sessionId: session.id, prompt: '@bash printf %s "$SECRET_TOKEN" > seen-2.txt' });
    await finished(session.id, 2);
    assert.equal(readFileSync(join(worktree, 'seen-2.txt'), 'utf8'), SECRET);
    assert.equal((await orchd.client.request('session/get', { sessionId: session.id })).session.profile.env.SECRET_TOKEN, '***');

    // project/update with the masked settings it was shown keeps the stored value; the agent still gets it.
    const shown = (await orchd.client.request('project/get', { projectId: created.id })).project;
    const updated = (await orchd.client.request('project/update', { projectId: created.id, settings: { ...shown.settings, profiles: { keyed: { ...shown.settings.profiles!.keyed!, model: 'fake-model-2' } } } })).project;
    assert.deepEqual(updated.settings.profiles!.keyed!.env, { SECRET_TOKEN: '***', EMPTY_ONE: '***' });
    // An update without `settings` keeps them too.
    await orchd.client.request('project/update', { projectId: created.id, name: 'Secret renamed' });
    const ws2 = await workspace(created.id, 'secret again');
    const second = (await orchd.client.request('session/start', { workspaceId: ws2.id, profile: 'keyed', prompt: '@bash printf %s "$SECRET_TOKEN" > seen-3.txt' })).session;
    await finished(second.id);
    assert.equal(readFileSync(join(ws2.repositories[0]!.path, 'seen-3.txt'), 'utf8'), SECRET);

    // Nothing orchd sent or logged carries the value.
    for (const event of events()) assert.ok(!JSON.stringify(event).includes(SECRET), `event ${event.kind} carries the secret`);
    assert.ok(events().some((e) => e.kind === 'project/created' && (e.data as any).project.id === created.id && (e.data as any).project.settings.profiles!.keyed!.env.SECRET_TOKEN === '***'));
    assert.ok(events().some((e) => e.kind === 'project/updated' && (e.data as any).project.id === created.id));
    assert.ok(events().some((e) => e.kind === 'session/started' && (e.data as any).session.id === session.id && (e.data as any).session.profile.env.SECRET_TOKEN === '***'));
    for (const note of orchd.client.notifications) assert.ok(!JSON.stringify(note).includes(SECRET), `notification ${note.method} carries the secret`);
    assert.ok(!orchd.logs.join('').includes(SECRET), 'the daemon log carries the secret');
  });

  it('treats `***` as "keep the stored value" only where one is stored', async () => {
    const onCreate = await orchd.client.failure('project/create', {
      name: 'Mask on create',
      repositories: [{ path: repo, name: 'app' }],
      settings: { profiles: { keyed: { executor: 'scripted-agent', env: { TOKEN: '***' } } } },
    });
    assert.equal(onCreate.data.kind, 'invalidParams');
    assert.equal(onCreate.data.field, 'settings.profiles.keyed.env.TOKEN');
    const p = await project('Mask on update', { profiles: { keyed: { executor: 'scripted-agent', env: { TOKEN: { env: 'ORCHD_TEST_SECRET_TOKEN' } } } } });
    const unknown = await orchd.client.failure('project/update', { projectId: p.id, settings: { profiles: { keyed: { executor: 'scripted-agent', env: { TOKEN: '***', OTHER: '***' } } } } });
    assert.equal(unknown.data.field, 'settings.profiles.keyed.env.OTHER');
    // A new value replaces the stored one; a renamed profile does not inherit another profile's values.
    const renamed = await orchd.client.failure('project/update', { projectId: p.id, settings: { profiles: { other: { executor: 'scripted-agent', env: { TOKEN: '***' } } } } });
    assert.equal(renamed.data.field, 'settings.profiles.other.env.TOKEN');
  });
});
