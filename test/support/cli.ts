// The built CLI as a person runs it: a plain child process with pipes, no ORCHD_* variables from this process.
import { spawn } from 'node:child_process';
import { CLI_MS } from './bounds.js';
import { BIN, ROOT } from './client.js';
import { TEST_CONFIG_HOME } from './config-home.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** This process's environment without ORCHD_* (so a test's data dir or log level never leaks in), plus `extra`. */
export function cliEnvironment(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('ORCHD_')) env[key] = value;
  // ...except the test's own config home (test/support/config-home.ts): never the real user's ~/.config/orchd.
  return { ...env, ORCHD_CONFIG_HOME: TEST_CONFIG_HOME!, ...extra };
}

/** Run `orchd <args>` from the checkout (or `cwd`) and collect its output; rejects (after SIGKILL) if it outlives `timeoutMs`. */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = CLI_MS, cwd = ROOT): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`\`orchd ${args.join(' ')}\` did not exit within ${timeoutMs} ms\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`));
    }, timeoutMs);
    // 'close', not 'exit': exit can come before the last of stdout has been read from the pipe.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
