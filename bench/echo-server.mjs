// Baseline for the startup and round-trip benchmarks: a bare vscode-jsonrpc server over stdio that answers
// `initialize` and `echo` and nothing else. Plain JavaScript, so node runs it with no compilation.
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';

const connection = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
connection.onRequest('initialize', () => ({ serverInfo: { name: 'echo', version: '0' }, protocolVersion: 1, capabilities: {} }));
connection.onRequest('echo', (params) => params);
connection.onRequest('shutdown', () => null);
connection.onNotification('exit', () => process.exit(0));
connection.onClose(() => process.exit(0));
connection.listen();
