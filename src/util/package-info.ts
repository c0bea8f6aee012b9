// orchd's own package.json, found by walking up from this module (works from src/ under tsx and from dist/).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: { version: string; root: string } | undefined;

/** orchd's version and package root. */
export function packageInfo(): { version: string; root: string } {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'orchd') return (cached = { version: pkg.version ?? '0.0.0', root: dir });
    }
    const parent = dirname(dir);
    if (parent === dir) return (cached = { version: '0.0.0', root: process.cwd() });
    dir = parent;
  }
}
