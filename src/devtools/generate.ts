// `npm run generate`: rewrite protocol/schema.json, protocol/config.schema.json and docs/protocol.md from protocol/,
// and src/store/schema-snapshot.ts from the migrations.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageInfo } from '../util/package-info.js';
import { renderConfigSchemaJson, renderProtocolDoc, renderSchemaJson } from './protocol-artifacts.js';
import { renderSchemaSnapshot } from './schema-snapshot.js';

const { root } = packageInfo();
writeFileSync(join(root, 'protocol', 'schema.json'), renderSchemaJson());
writeFileSync(join(root, 'docs', 'protocol.md'), renderProtocolDoc());
writeFileSync(join(root, 'protocol', 'config.schema.json'), renderConfigSchemaJson());
writeFileSync(join(root, 'src', 'store', 'schema-snapshot.ts'), await renderSchemaSnapshot());
process.stderr.write('wrote protocol/schema.json, protocol/config.schema.json, docs/protocol.md and src/store/schema-snapshot.ts\n');
