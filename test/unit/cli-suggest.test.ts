// "Did you mean …?": the edit distance (transpositions count once) and which known word a slip is taken for, driven
// by tables; then the one-line usage errors parseCli builds with it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMANDS, parseCli, usage, usageHint } from '../../src/cli/args.js';
import { didYouMean, editDistance, suggest } from '../../src/cli/suggest.js';

describe('editDistance', () => {
  const table: [string, string, number][] = [
    ['', '', 0],
    ['agent', 'agent', 0],
    ['agnet', 'agent', 1], // a transposition is one edit
    ['agen', 'agent', 1],
    ['agentt', 'agent', 1],
    ['abent', 'agent', 1],
    ['mrege', 'merge', 1],
    ['sttaus', 'status', 1],
    ['kitten', 'sitting', 3],
    ['', 'run', 3],
  ];
  for (const [a, b, distance] of table) {
    it(`${JSON.stringify(a)} → ${JSON.stringify(b)} is ${distance}`, () => {
      assert.equal(editDistance(a, b), distance);
      assert.equal(editDistance(b, a), distance, 'symmetric');
    });
  }
});

describe('suggest', () => {
  const RUN = ['--repo', '--agent', '--base', '--profile', '--model', '--permission-mode', '--json', '--yes', '--no-color', '--data-dir', '--log-level', '--help'];
  const table: [string, readonly string[], string | undefined][] = [
    ['--agnet', RUN, '--agent'],
    ['--agent', RUN, '--agent'],
    ['--Agent', RUN, '--agent'],
    ['--reop', RUN, '--repo'],
    ['--modle', RUN, '--model'],
    ['--perm', RUN, '--permission-mode'], // an unambiguous prefix
    ['--permision-mode', RUN, '--permission-mode'],
    ['--data', RUN, '--data-dir'],
    ['--no-colour', RUN, '--no-color'],
    ['--loglevel', RUN, '--log-level'],
    ['--frobnicate', RUN, undefined], // nothing close: no guess
    ['--x', RUN, undefined],
    ['--b', RUN, undefined], // too short to be a prefix worth guessing from
    ['mrege', COMMANDS, 'merge'],
    ['sttaus', COMMANDS, 'status'],
    ['lgo', COMMANDS, 'log'],
    ['docter', COMMANDS, 'doctor'],
    ['rn', COMMANDS, 'run'],
    ['frobnicate', COMMANDS, undefined],
    ['sesions', ['workspaces', 'sessions', 'tasks', 'projects'], 'sessions'],
    ['sqash', ['merge', 'squash', 'rebase'], 'squash'],
    ['', COMMANDS, undefined],
  ];
  for (const [input, known, expected] of table) {
    it(`${JSON.stringify(input)} → ${expected ?? 'nothing'}`, () => assert.equal(suggest(input, known), expected));
  }
  it('phrases the suggestion, or says nothing', () => {
    assert.equal(didYouMean('--agnet', RUN), '; did you mean --agent?');
    assert.equal(didYouMean('--frobnicate', RUN), '');
  });
});

describe('usage errors: one line and a hint', () => {
  const error = (argv: string[]) => {
    const cli = parseCli(argv, { stdinIsTty: true, logLevelEnv: undefined });
    assert.equal(cli.command, 'error', `${JSON.stringify(argv)} parsed as ${cli.command}`);
    return cli as { message: string; usageOf?: string };
  };
  const table: [string[], string, string | undefined][] = [
    [['run', '--agnet', 'scripted-agent', 'hi'], 'unknown option --agnet; did you mean --agent?', 'run'],
    [['run', '--agent', 'a', '--frobnicate', 'go'], 'unknown option --frobnicate', 'run'],
    [['run', '--agent'], 'option --agent needs a value (--agent ID)', 'run'],
    [['run', '--repo'], 'option --repo needs a value (--repo DIR)', 'run'],
    [['run', '--agent', '--json', 'hi'], 'option --agent needs a value (--agent ID), got --json', 'run'],
    [['run', '--json=yes', '--agent', 'a', 'hi'], 'option --json takes no value, got --json=yes', 'run'],
    [['merge', 'ws_1', '--stratgy', 'squash'], 'unknown option --stratgy; did you mean --strategy?', 'merge'],
    [['merge', 'ws_1', '--strategy', 'sqash'], 'Expected `--strategy` to be one of merge, squash, rebase, got `sqash`; did you mean squash?', 'merge'],
    [['ls', '--al'], 'unknown option --al; did you mean --all?', 'ls'],
    [['ls', 'sesions'], 'Expected `workspaces`, `sessions`, `tasks`, `projects` or nothing, got `sesions`; did you mean sessions?', 'ls'],
    [['log', 'ses_1', '--folow'], 'unknown option --folow; did you mean --follow?', 'log'],
    [['rm', 'ws_1', '--keep-branches'], 'unknown option --keep-branches; did you mean --keep-branch?', 'rm'],
    [['shell', 'ws_1', '-la'], 'unknown option -l', 'shell'],
    [['mrege', 'ws_1'], 'unknown command mrege; did you mean merge?', undefined],
    [['frobnicate'], 'unknown command frobnicate', undefined],
    [['--nope'], 'unknown option --nope', undefined],
    [['--versoin'], 'unknown option --versoin; did you mean --version?', undefined],
    [['token', 'crate'], 'Expected `create`, `list` or `revoke`, got `crate`; did you mean create?', 'token'],
    [['config', 'shwo'], 'Expected `show`, `validate` or `path`, got `shwo`; did you mean show?', 'config'],
    [['run', '--agent', 'a', '--log-level', 'wran', 'go'], 'Expected `--log-level` to be one of error, warn, info, debug, trace, got `wran`; did you mean warn?', 'run'],
  ];
  for (const [argv, message, topic] of table) {
    it(JSON.stringify(argv), () => {
      const cli = error(argv);
      assert.equal(cli.message, message);
      assert.equal(cli.usageOf, topic);
      assert.doesNotMatch(cli.message, /\n/, 'one line');
    });
  }
  it('the hint names the command’s own help, which exists', () => {
    assert.equal(usageHint('run'), "Run 'orchd run --help' for usage.");
    assert.equal(usageHint(undefined), "Run 'orchd --help' for usage.");
    assert.deepEqual(parseCli(['run', '--help']), { command: 'help', topic: 'run' });
    assert.deepEqual(parseCli(['help', 'rm']), { command: 'help', topic: 'rm' });
    assert.deepEqual(parseCli(['status', '--help'], { stdinIsTty: true }), { command: 'help', topic: 'status' });
    assert.match(usage('run'), /^Usage:\n {2}orchd run --agent ID/);
    assert.match(usage('run'), /--permission-mode M/);
    assert.doesNotMatch(usage('run'), /--strategy/, "one command's page only");
    for (const command of ['ls', 'log', 'rm', 'merge']) assert.match(usage(), new RegExp(`^ {2}orchd ${command} `, 'm'), `orchd --help lists ${command}`);
  });
});
