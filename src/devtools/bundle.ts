// `npm run build`: bundle the CLI and daemon into dist/orchd.mjs. One file loads several times faster than the
// ~300-module graph (kysely alone is 279 files), which is most of the start-up budget for a host that spawns orchd
// per window. Native modules, and dugite (it finds its git relative to its own files), stay external.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { packageInfo } from '../util/package-info.js';

const { root } = packageInfo();
rmSync(join(root, 'dist'), { recursive: true, force: true });
const result = await build({
  entryPoints: [join(root, 'bin', 'orchd.ts')],
  outdir: join(root, 'dist'),
  entryNames: 'orchd',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  // Code behind a dynamic import (each CLI command, the stdio server, the ACP SDK with zod) goes to its own chunk,
  // so `orchd --stdio` neither reads nor compiles the code of commands and agents it has not used yet.
  splitting: true,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  external: ['better-sqlite3', 'node-pty', 'dugite', 'esbuild'],
  // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
  banner: { js: "import { createRequire as __orchdCreateRequire } from 'node:module'; const require = __orchdCreateRequire(import.meta.url);" },
  logLevel: 'warning',
  metafile: true,
});
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
process.stderr.write(`built dist/orchd.mjs and ${Object.keys(result.metafile.outputs).filter((f) => f.includes('/chunks/') && f.endsWith('.mjs')).length} chunks (${Math.round(bytes / 1024)} KB with source maps)\n`);
