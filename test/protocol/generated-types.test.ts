// A host in another language generates its types from protocol/schema.json. This runs a standard generator
// (json-schema-to-typescript, as docs/protocol.md shows) on the committed schema, compiles what it wrote with the
// repository's TypeScript in strict mode, and checks that the types come out named, once each: `Project`, not
// `Project1` or an anonymous copy per use.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compile } from 'json-schema-to-typescript';
import ts from 'typescript';
import { ROOT } from '../support/client.js';

const MAIN_TYPES = ['Project', 'Repository', 'Task', 'Workspace', 'WorkspaceRepository', 'Session', 'Execution', 'Approval', 'NormalizedEntry', 'ToolCallEntry', 'Event', 'Terminal', 'FileStat', 'SearchMatch', 'ConfigDocument', 'DiffStats', 'ScriptSpec', 'Profile'];

/** Uses the generated types the way a host would: narrowing the entry union, reading an event, naming results. */
const HOST_CODE = `
import type { Approval, Event, Execution, NormalizedEntry, Project, ProjectResult, Session, SessionEntryUpsertedData, Workspace, WorkspaceMergeResult } from './orchd-protocol.js';

export function describeEntry(entry: NormalizedEntry): string {
  switch (entry.type) {
    case 'toolCall':
      return \`\${entry.name} \${entry.status} \${entry.exitCode ?? ''}\`;
    case 'usage':
      return String(entry.inputTokens ?? 0);
    case 'raw':
      return entry.line;
    default:
      return entry.type;
  }
}

export function entryOf(event: Event): NormalizedEntry | undefined {
  return event.kind === 'session/entryUpserted' ? (event.data as unknown as SessionEntryUpsertedData).entry : undefined;
}

export function names(result: ProjectResult, workspace: Workspace, session: Session, execution: Execution, approval: Approval): string[] {
  const project: Project = result.project;
  return [project.name, (project.scripts.setup ?? []).map((script) => script.command).join(';'), workspace.branch, session.status, execution.status, approval.status];
}

export function mergedOids(result: WorkspaceMergeResult): string[] {
  return result.merged ? result.repositories.map((repository) => repository.oid) : result.conflicts.flatMap((conflict) => conflict.files);
}
`;

interface Generated {
  readonly text: string;
  readonly diagnostics: readonly string[];
  /** Exported interfaces and type aliases, by name. */
  readonly exports: ReadonlyMap<string, ts.Declaration>;
  /** Object types written inline (no name of their own). */
  readonly anonymousObjectTypes: number;
}

const schema = JSON.parse(readFileSync(join(ROOT, 'protocol', 'schema.json'), 'utf8')) as { $defs: Record<string, unknown> };
const scratch = mkdtempSync(join(tmpdir(), 'orchd-generated-types-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let generated: Generated;

before(async () => {
  // The generator dereferences the schema in place; give it a copy.
  const text = await compile(structuredClone(schema), 'OrchdProtocol', { unreachableDefinitions: true, bannerComment: '', format: false });
  const declarations = join(scratch, 'orchd-protocol.ts');
  const host = join(scratch, 'host.ts');
  writeFileSync(declarations, text);
  writeFileSync(host, HOST_CODE);
  const program = ts.createProgram([declarations, host], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts'],
    types: [],
  });
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => `${d.file ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  const source = program.getSourceFile(declarations)!;
  const exports = new Map<string, ts.Declaration>();
  let anonymousObjectTypes = 0;
  const visit = (node: ts.Node) => {
    if (ts.isTypeLiteralNode(node) && node.members.length > 0) anonymousObjectTypes++;
    ts.forEachChild(node, visit);
  };
  for (const statement of source.statements) {
    if ((ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) && statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
      exports.set(statement.name.text, statement);
    }
    visit(statement);
  }
  generated = { text, diagnostics, exports, anonymousObjectTypes };
});

describe('types generated from protocol/schema.json (json-schema-to-typescript)', () => {
  it('compile in strict mode, with host code that narrows the entry union and reads results', () => {
    assert.deepEqual(generated.diagnostics, []);
  });

  it('export the main types by name', () => {
    const missing = MAIN_TYPES.filter((name) => !generated.exports.has(name));
    assert.deepEqual(missing, [], `not generated: ${missing.join(', ')}`);
    assert.ok(ts.isInterfaceDeclaration(generated.exports.get('Project')!), 'Project is an interface');
    const entry = generated.exports.get('NormalizedEntry')!;
    assert.ok(ts.isTypeAliasDeclaration(entry));
    let union: ts.TypeNode = entry.type;
    while (ts.isParenthesizedTypeNode(union)) union = union.type;
    assert.ok(ts.isUnionTypeNode(union), 'NormalizedEntry is a union');
    const members = union.types.map((member) => (ts.isTypeReferenceNode(member) ? member.typeName.getText() : `anonymous ${member.kind}`));
    const variants = (schema.$defs.NormalizedEntry as { oneOf: { $ref: string }[] }).oneOf.map((variant) => variant.$ref.replace('#/$defs/', ''));
    assert.ok(variants.includes('ToolCallEntry') && variants.includes('UserMessageEntry'), `NormalizedEntry's variants are named: ${variants.join(', ')}`);
    assert.deepEqual(members, variants);
  });

  it('export one type per definition, none twice under a numbered name', () => {
    const definitions = Object.keys(schema.$defs);
    const unnamed = definitions.filter((name) => !generated.exports.has(name));
    assert.deepEqual(unnamed, [], `definitions without a type: ${unnamed.join(', ')}`);
    // The root type (the method table, which names no type) plus one per definition; a copy would be `ScriptsLayer1`.
    const extra = [...generated.exports.keys()].filter((name) => !(name in schema.$defs) && name !== 'OrchdProtocol');
    assert.deepEqual(extra, [], `types that are not definitions (copies?): ${extra.join(', ')}`);
  });

  it('define the script spec once, and leave few object types anonymous', () => {
    // ScriptSpec is used by setup, cleanup, archive and devServer of every scripts shape (32 inline copies before $defs).
    const descriptionOfCommand = 'A shell command, run with /bin/sh -c';
    assert.equal(generated.text.split(descriptionOfCommand).length - 1, 1, 'the script spec is declared once');
    // What stays inline is a shape used in one place (a result's item, an empty params object), never a named one.
    const named = [...generated.exports.values()].filter((d) => ts.isInterfaceDeclaration(d)).length;
    assert.ok(
      generated.anonymousObjectTypes <= named / 4,
      `${generated.anonymousObjectTypes} anonymous object types beside ${named} interfaces: a shared shape lost its name`,
    );
  });
});
