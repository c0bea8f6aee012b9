// `orchd token create|list|revoke`: service-mode access tokens, managed on the data directory itself (not through the
// protocol): whoever can open the directory (0700) is its admin, and no client can mint a token over the wire.
import { createToken, listTokens, revokeToken, type TokenRecord } from '../auth/tokens.js';
import { resolveDataDir } from '../config/data-dir.js';
import { createLogger } from '../log/logger.js';
import { openStore } from '../store/database.js';
import type { TokenArgs } from './args.js';
import { describeError } from './local-daemon.js';

export type TokenCommandOptions = TokenArgs & { write?: (text: string) => void };

/** Resolves with the exit code (0 done, 1 an error). */
export async function tokenCommand(options: TokenCommandOptions): Promise<number> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const { dataDir } = resolveDataDir({ fromFlag: options.dataDir, fromEnv: process.env.ORCHD_DATA_DIR });
  let store;
  try {
    store = await openStore(dataDir, createLogger({ level: 'warn' }));
    switch (options.action) {
      case 'create': {
        const { token, secret } = await createToken(store, { name: options.name, readOnly: options.readOnly });
        if (options.json) write(`${JSON.stringify({ token, secret }, null, 2)}\n`);
        else
          write(
            `Created token \`${token.name}\` (${token.id}, ${access(token)}). It is shown only now; keep it somewhere safe:\n${secret}\n` +
              'Clients send it as `Authorization: Bearer <token>` (browsers: in the Sec-WebSocket-Protocol list). Revoke it with `orchd token revoke ' +
              `${token.name}\`.\n`,
          );
        return 0;
      }
      case 'list': {
        const tokens = await listTokens(store);
        if (options.json) write(`${JSON.stringify({ tokens }, null, 2)}\n`);
        else write(describeTokens(tokens));
        return 0;
      }
      case 'revoke': {
        const token = await revokeToken(store, options.target);
        if (options.json) write(`${JSON.stringify({ token }, null, 2)}\n`);
        else write(`Revoked token \`${token.name}\` (${token.id}) at ${token.revokedAt}.\n`);
        return 0;
      }
      default:
        return assertNever(options);
    }
  } catch (error) {
    process.stderr.write(`orchd: ${describeError(error)}\n`);
    return 1;
  } finally {
    await store?.close();
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected token action ${JSON.stringify(value)}`);
}

const access = (token: TokenRecord) => (token.readOnly ? 'read-only' : 'full access');

/** The tokens as a table: id, name, access, created, state. */
export function describeTokens(tokens: readonly TokenRecord[]): string {
  if (tokens.length === 0) return 'No tokens yet (create one with `orchd token create`).\n';
  const rows = tokens.map((t) => [t.id, t.name, access(t), t.createdAt, t.revokedAt ? `revoked ${t.revokedAt}` : 'active']);
  const header = ['ID', 'NAME', 'ACCESS', 'CREATED', 'STATE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
