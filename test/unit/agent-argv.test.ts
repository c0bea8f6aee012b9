// The argv rule (no value from outside orchd reaches an agent's command line starting with `-`), the declared
// permission modes of every executor, and the masking of profile env values, driven by tables.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Profile } from '../../protocol/executors.js';
import { isOrchdError } from '../../src/errors.js';
import { ampArguments } from '../../src/executors/amp.js';
import { assertNotOption, optionValue } from '../../src/executors/argv.js';
import { claudeArguments } from '../../src/executors/claude/executor.js';
import { codexExecArguments } from '../../src/executors/codex-exec.js';
import { cursorArguments } from '../../src/executors/cursor.js';
import { droidArguments } from '../../src/executors/droid.js';
import { getExecutor, listExecutors } from '../../src/executors/registry.js';
import { keepStoredSecrets, maskEnv } from '../../src/executors/secrets.js';
import type { AgentHooks, AgentProfile, AgentTurnRequest } from '../../src/executors/types.js';
import { validateProfiles } from '../../src/executors/validate-profile.js';

const hooks: AgentHooks = { requestApproval: () => new Promise(() => {}), warn: () => {} };

function turn(profile: Partial<AgentProfile> = {}, fields: Partial<AgentTurnRequest> = {}): AgentTurnRequest {
  return { cwd: '/w', prompt: 'hi', resumeAgentSessionId: null, env: { PATH: '/nonexistent' }, profile: { model: null, permissionMode: null, extraArgs: [], env: {}, ...profile }, ...fields };
}

/** The invalidParams error `run` throws, checked to name `field`. */
function refused(run: () => unknown, field: string, message?: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(isOrchdError(error, 'invalidParams'), `expected invalidParams, got ${String(error)}`);
    assert.equal(error.details.field, field);
    if (message) assert.match(error.message, message);
    return true;
  });
}

describe('argv rule', () => {
  const cases: [string, boolean][] = [
    ['claude-sonnet-4', true],
    ['provider/model-x', true],
    ['a-b', true],
    ['-', false],
    ['-x', false],
    ['--dangerously-skip-permissions', false],
    ['--model=evil', false],
  ];
  for (const [value, ok] of cases) {
    it(`${ok ? 'passes' : 'refuses'} \`${value}\``, () => {
      if (ok) assert.equal(assertNotOption('model', value), value);
      else refused(() => assertNotOption('model', value), 'model', new RegExp(`^Expected \`model\` not to start with \`-\`, got \`${value}\`$`));
    });
  }
  it('binds a checked value to its flag', () => {
    assert.equal(optionValue('--model', 'opus', 'model'), '--model=opus');
    refused(() => optionValue('--model', '-x', 'model'), 'model');
  });
});

describe('every executor, through the registry, refuses flag-like values before it builds a command line', () => {
  const bad: [string, AgentTurnRequest, string][] = [
    ['model', turn({ model: '--dangerously-skip-permissions' }), 'model'],
    ['resume id', turn({}, { resumeAgentSessionId: '--yolo' }), 'resumeAgentSessionId'],
    ['resume point', turn({}, { resumeAgentSessionId: 'abc', resumeAt: '-x' }), 'resumeAt'],
    ['ACP program', turn({ command: ['--help'] }), 'command[0]'],
    ['permission mode', turn({ permissionMode: '--dangerously-skip-permissions' }), 'permissionMode'],
  ];
  for (const executor of listExecutors()) {
    for (const [what, request, field] of bad) {
      it(`${executor.id}: ${what}`, () => refused(() => executor.prepare(request, hooks), field));
    }
  }
});

describe('the builders check too (the second line of defence)', () => {
  const cases: [string, () => unknown, string][] = [
    ['claude --model', () => claudeArguments(turn({ model: '-m' })), 'model'],
    ['claude --resume', () => claudeArguments(turn({}, { resumeAgentSessionId: '-r' })), 'resumeAgentSessionId'],
    ['claude --resume-session-at', () => claudeArguments(turn({}, { resumeAgentSessionId: 'r', resumeAt: '-u' })), 'resumeAt'],
    ['codex exec resume <id>', () => codexExecArguments(turn({}, { resumeAgentSessionId: '--full-auto' })), 'resumeAgentSessionId'],
    ['codex exec --model', () => codexExecArguments(turn({ model: '-m' })), 'model'],
    ['cursor --resume <id>', () => cursorArguments(turn({}, { resumeAgentSessionId: '--force' })), 'resumeAgentSessionId'],
    ['cursor --model <m>', () => cursorArguments(turn({ model: '--force' })), 'model'],
    ['droid --session-id <id>', () => droidArguments(turn({}, { resumeAgentSessionId: '--skip-permissions-unsafe' })), 'resumeAgentSessionId'],
    ['droid --model <m>', () => droidArguments(turn({ model: '--skip-permissions-unsafe' })), 'model'],
    ['amp threads continue <id>', () => ampArguments(turn({}, { resumeAgentSessionId: '--dangerously-allow-all' })), 'resumeAgentSessionId'],
  ];
  for (const [name, run, field] of cases) it(name, () => refused(run, field));
  it('uses `--flag=value` where the CLI takes it', () => {
    const claude = claudeArguments(turn({ model: 'opus' }, { resumeAgentSessionId: 'sid', resumeAt: 'uuid' }));
    assert.ok(claude.includes('--model=opus') && claude.includes('--resume=sid') && claude.includes('--resume-session-at=uuid'), claude.join(' '));
    assert.ok(codexExecArguments(turn({ model: 'gpt-5' })).includes('--model=gpt-5'));
  });
  it('lets `extraArgs` carry flags: they are the project owner’s explicit command-line words', () => {
    assert.deepEqual(claudeArguments(turn({ extraArgs: ['--effort', 'high'] })).slice(-2), ['--effort', 'high']);
  });
});

describe('declared permission modes', () => {
  const base: AgentProfile = { model: null, permissionMode: null, extraArgs: [], env: {}, command: ['agent-acp'] };
  for (const executor of listExecutors()) {
    it(`${executor.id}: every declared mode is accepted, its default is declared, anything else is refused with the list`, () => {
      for (const mode of executor.permissionModes) executor.checkProfile!({ ...base, permissionMode: mode });
      if (executor.defaultPermissionMode !== null) assert.ok(executor.permissionModes.includes(executor.defaultPermissionMode));
      else assert.deepEqual(executor.permissionModes, []);
      assert.throws(
        () => executor.checkProfile!({ ...base, permissionMode: 'not-a-mode' }),
        (error: unknown) => isOrchdError(error, 'invalidParams') && error.details.field === 'permissionMode' && JSON.stringify(error.details.allowed) === JSON.stringify(executor.permissionModes),
      );
    });
  }
  it('OpenCode also takes a JSON permission object', () => {
    getExecutor('opencode').checkProfile!({ ...base, permissionMode: '{"edit":"ask"}' });
  });
});

describe('project profiles', () => {
  const profile = (fields: Partial<Profile>): Profile => ({ executor: 'scripted-agent', extraArgs: [], env: {}, ...fields });
  it('names the profile and field of a bad value', () => {
    refused(() => validateProfiles({ fast: profile({ model: '--x' }) }), 'settings.profiles.fast.model');
    refused(() => validateProfiles({ fast: profile({ permissionMode: 'yolo' }) }), 'settings.profiles.fast.permissionMode', /`default`, `acceptEdits`.*got `yolo`$/);
    refused(() => validateProfiles({ acp: profile({ executor: 'acp', command: ['-c', 'x'] }) }), 'settings.profiles.acp.command[0]');
    assert.throws(() => validateProfiles({ fast: profile({ executor: 'nope' }) }), (error: unknown) => isOrchdError(error, 'notFound') && error.details.field === 'settings.profiles.fast.executor');
    validateProfiles({ fast: profile({ extraArgs: ['--dangerously-skip-permissions'], command: ['npx', '-y', 'agent'] }) });
  });
});

describe('profile env secrets', () => {
  it('masks every value', () => assert.deepEqual(maskEnv({ A: 'secret', B: '' }), { A: '***', B: '***' }));
  const stored = { p: { executor: 'x', extraArgs: [], env: { KEY: 'real', OTHER: 'kept' } } };
  const cases: [string, Record<string, Profile>, Record<string, string> | string][] = [
    ['keeps a stored value for `***`', { p: { executor: 'x', extraArgs: [], env: { KEY: '***' } } }, { KEY: 'real' }],
    ['takes a new value', { p: { executor: 'x', extraArgs: [], env: { KEY: 'new', OTHER: '***' } } }, { KEY: 'new', OTHER: 'kept' }],
    ['refuses `***` for a new variable', { p: { executor: 'x', extraArgs: [], env: { NEW: '***' } } }, 'settings.profiles.p.env.NEW'],
    ['refuses `***` in a new profile', { q: { executor: 'x', extraArgs: [], env: { KEY: '***' } } }, 'settings.profiles.q.env.KEY'],
  ];
  for (const [name, profiles, expected] of cases) {
    it(name, () => {
      if (typeof expected === 'string') refused(() => keepStoredSecrets(profiles, stored), expected);
      else assert.deepEqual(Object.values(keepStoredSecrets(profiles, stored))[0]!.env, expected);
    });
  }
});
