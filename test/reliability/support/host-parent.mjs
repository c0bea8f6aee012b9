// A stand-in host for the host-death tests: spawns `orchd --stdio` with stdin and stdout piped and stderr piped or
// ignored, optionally sends `initialize`, prints `ready <daemon pid>` once the daemon answered, then idles until
// the test SIGKILLs it. Usage: node host-parent.mjs <bin> <dataDir> <none|null|pid> <pipe|ignore> <protocolVersion>
import { spawn } from 'node:child_process';

const [bin, dataDir, initialize, stderrMode, protocolVersion] = process.argv.slice(2);
const daemon = spawn(process.execPath, [bin, '--stdio', '--data-dir', dataDir], {
  stdio: ['pipe', 'pipe', stderrMode === 'pipe' ? 'pipe' : 'ignore'],
  env: { ...process.env, ORCHD_LOG_LEVEL: 'debug' },
});
daemon.stderr?.on('data', () => {});
daemon.stdin.on('error', () => {});

function send(message) {
  const body = Buffer.from(JSON.stringify(message));
  daemon.stdin.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]));
}

let seen = '';
daemon.stdout.on('data', (chunk) => {
  seen += chunk.toString();
  // The first reply (id 1) proves the daemon is up and reading.
  if (/"id":1[,}]/.test(seen)) {
    process.stdout.write(`ready ${daemon.pid}\n`);
    seen = '';
  }
});

if (initialize === 'none') {
  send({ jsonrpc: '2.0', id: 1, method: 'project/list', params: {} });
} else {
  const processId = initialize === 'pid' ? process.pid : null;
  send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId, protocolVersion: Number(protocolVersion), clientInfo: { name: 'host-death-parent' } } });
}
setInterval(() => {}, 1 << 30);
