// `npm run generate`: rewrite protocol/schema.json and docs/protocol.md from protocol/.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageInfo } from '../util/package-info.js';
import { renderProtocolDoc, renderSchemaJson } from './protocol-artifacts.js';

const { root } = packageInfo();
writeFileSync(join(root, 'protocol', 'schema.json'), renderSchemaJson());
writeFileSync(join(root, 'docs', 'protocol.md'), renderProtocolDoc());
process.stderr.write('wrote protocol/schema.json and docs/protocol.md\n');
