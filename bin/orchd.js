#!/usr/bin/env node
// Launcher: runs the compiled CLI (npm install builds it; `npm run build` rebuilds it).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/orchd.mjs', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('orchd: not built yet; run `npm run build` in the orchd checkout\n');
  process.exit(2);
}
await import(entry.href);
