// The README's examples run as written: the host snippets (TypeScript, vscode-jsonrpc) against the built daemon, and
// the shell lines that need no real agent CLI, through an `orchd` on PATH that is this checkout's build.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLI_MS } from '../support/bounds.js';
import { cliEnvironment } from '../support/cli.js';
import { BIN, ROOT, tempDir } from '../support/client.js';
import { git, makeRepo } from '../support/repo.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The fenced blocks of one language between two headings of the README. */
function blocks(language: string, fromHeading: string, toHeading: string): string[] {
  const start = README.indexOf(fromHeading);
  const end = README.indexOf(toHeading, start + 1);
  assert.ok(start >= 0 && end > start, `README has the section ${fromHeading}`);
  const section = README.slice(start, end);
  return [...section.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

/** Run a program to its end, collecting output; fails the test (after SIGKILL) past `CLI_MS`. */
function run(command: string, args: string[], options: { cwd: string; env: Record<string, string> }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not end within ${CLI_MS} ms\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`));
    }, CLI_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the README examples, as written', () => {
  const scratch = tempDir('orchd-readme-');

  it('the host snippets run against the built daemon: the agent finishes before the diff and the merge', async () => {
    const repo = makeRepo({ 'README.md': '# demo\n' });
    const snippets = blocks('ts', '## Running the daemon (hosts)', '## The CLI (people)');
    assert.equal(snippets.length, 2, 'two host snippets');
    // Only two substitutions: where orchd is, and which repository.
    const program = snippets
      .join('\n')
      .replace("spawn('orchd', ['--stdio'],", `spawn(process.execPath, [${JSON.stringify(BIN)}, '--stdio'],`)
      .replace("'/path/to/repo'", JSON.stringify(repo));
    assert.ok(program.includes(BIN) && program.includes(repo), 'both substitutions applied');
    // As in a host's own project: vscode-jsonrpc resolves from its node_modules.
    symlinkSync(join(ROOT, 'node_modules'), join(scratch, 'node_modules'));
    const file = join(scratch, 'host.mts');
    writeFileSync(file, program);
    const env = cliEnvironment({ ORCHD_DATA_DIR: join(scratch, 'host-data') });
    const result = await run(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, env });
    assert.equal(result.code, 0, `the snippets exit 0\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr.slice(-4000)}`);
    assert.match(result.stdout, /1 file\(s\) changed, \+1 -0/, 'the diff is the agent’s edit, read after it finished');
    assert.match(result.stdout, /workspace\/merged/);
    // The merge happened after the agent's work: the base branch has the file.
    assert.equal(git(repo, 'show', 'main:hello.txt'), 'hello world');
  });

  it('the `orchd run` line with the scripted agent and the service-mode lines run through an `orchd` on PATH', async () => {
    const repo = makeRepo({ 'README.md': '# demo\n' });
    const bin = join(scratch, 'bin');
    const shim = join(bin, 'orchd');
    await run('mkdir', ['-p', bin], { cwd: scratch, env: cliEnvironment() });
    writeFileSync(shim, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`);
    chmodSync(shim, 0o755);
    const env = cliEnvironment({ PATH: `${bin}:${process.env.PATH}`, ORCHD_DATA_DIR: join(scratch, 'cli-data'), NO_COLOR: '1' });

    const [runBlock, serviceBlock] = [blocks('sh', '### Watch an agent work', '### Share one daemon'), blocks('sh', '### Share one daemon', '## Agents')];
    const scriptedLine = runBlock[0]!.split('\n').find((line) => line.startsWith('orchd run') && line.includes('scripted-agent'));
    assert.ok(scriptedLine, 'the README shows `orchd run` with the scripted agent');
    const ran = await run('bash', ['-c', scriptedLine], { cwd: repo, env });
    assert.equal(ran.code, 0, `${scriptedLine}\n--- stdout ---\n${ran.stdout}\n--- stderr ---\n${ran.stderr}`);
    // Without a terminal to ask, the command the agent wants to run is denied, as the README says right below it.
    assert.match(ran.stdout, /Write succeeded/, `the live view shows the agent’s edit\n--- stdout ---\n${ran.stdout}`);
    assert.match(ran.stdout, /pass --yes to allow/, 'and says how to allow what it could not ask about');
    assert.match(ran.stdout, /orchd merge ws_/, 'and how to merge');

    // `orchd serve &`, then the commands that attach to it; the service is stopped at the end of the script.
    const service = serviceBlock[0]!.replace(/\s+#.*$/gm, '');
    assert.match(service, /^orchd serve &$/m);
    const script = `set -e\n${service}\nkill %1\nwait %1 || true\n`;
    const served = await run('bash', ['-c', script], { cwd: repo, env: { ...env, ORCHD_DATA_DIR: join(scratch, 'service-data') } });
    assert.equal(served.code, 0, `${script}\n--- stdout ---\n${served.stdout}\n--- stderr ---\n${served.stderr}`);
    assert.match(served.stdout, /serving\s+ws:\/\/127\.0\.0\.1:\d+/, '`orchd status` found the service');
    assert.match(served.stdout, /ready for review/, 'the run finished');
    assert.ok(existsSync(join(scratch, 'service-data', 'service-token')), 'serve wrote its token beside service.json');
  });
});
