// orchd's entry point: parse argv, keep stdout for the protocol, start the daemon or a CLI command.
import { parseCli, usage, usageHint } from '../src/cli/args.js';
import { packageInfo } from '../src/util/package-info.js';

const cli = parseCli(process.argv.slice(2), { stdinIsTty: Boolean(process.stdin.isTTY) });
const { version } = packageInfo();

switch (cli.command) {
  case 'help':
    process.stdout.write(usage(cli.topic));
    break;
  case 'version':
    process.stdout.write(`orchd ${version}\n`);
    break;
  case 'error':
    // One line and where to read more, not the whole help.
    process.stderr.write(`orchd: ${cli.message}\n${usageHint(cli.usageOf)}\n`);
    process.exitCode = 2;
    break;
  case 'stdio': {
    const { runStdio } = await import('../src/server/stdio.js');
    runStdio({ version, logLevel: cli.logLevel, dataDir: cli.dataDir, listen: cli.listen });
    break;
  }
  case 'serve': {
    const { runServe } = await import('../src/server/serve.js');
    const code = await runServe({ version, logLevel: cli.logLevel, dataDir: cli.dataDir, listen: cli.listen });
    if (code !== undefined) process.exit(code);
    break;
  }
  case 'status': {
    const { statusCommand } = await import('../src/cli/status.js');
    exitSoon(await statusCommand({ version, json: cli.json, dataDir: cli.dataDir }));
    break;
  }
  case 'doctor': {
    const { runDoctor } = await import('../src/cli/doctor.js');
    process.exitCode = await runDoctor({ version, json: cli.json, dataDir: cli.dataDir });
    break;
  }
  case 'run': {
    const { runCommand } = await import('../src/cli/run/run.js');
    exitSoon(await runCommand({ ...cli, version }));
    break;
  }
  case 'merge': {
    const { mergeCommand } = await import('../src/cli/merge.js');
    exitSoon(await mergeCommand({ ...cli, version }));
    break;
  }
  case 'ls': {
    const { lsCommand } = await import('../src/cli/ls.js');
    exitSoon(await lsCommand({ ...cli, version }));
    break;
  }
  case 'log': {
    const { logCommand } = await import('../src/cli/log.js');
    exitSoon(await logCommand({ ...cli, version }));
    break;
  }
  case 'entries': {
    const { entriesCommand } = await import('../src/cli/entries.js');
    exitSoon(await entriesCommand(cli));
    break;
  }
  case 'rm': {
    const { rmCommand } = await import('../src/cli/rm.js');
    exitSoon(await rmCommand({ ...cli, version }));
    break;
  }
  case 'shell': {
    const { shellCommand } = await import('../src/cli/shell.js');
    const code = await shellCommand({ ...cli, version });
    // Exit once the terminal's last bytes are written (whatever the daemon's timers or stdin would keep alive).
    exitSoon(code);
    process.stdout.write('', () => process.exit(code));
    break;
  }
  case 'gc': {
    const { gcCommand } = await import('../src/cli/gc.js');
    exitSoon(await gcCommand({ ...cli, version }));
    break;
  }
  case 'token': {
    const { tokenCommand } = await import('../src/cli/token.js');
    exitSoon(await tokenCommand(cli));
    break;
  }
  case 'config': {
    const { configCommand } = await import('../src/cli/config.js');
    exitSoon(await configCommand({ ...cli, version }));
    break;
  }
}

/** Set the exit code; if a stray handle keeps the process alive after the command, exit anyway. */
function exitSoon(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 2000).unref();
}
