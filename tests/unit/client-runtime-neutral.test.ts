/**
 * The client core runs in a browser and in Node: it must compile against the
 * DOM without Node's types, and against Node's types without the DOM. This
 * typechecks client/ both ways, so a stray Buffer, 'node:*' import, window or
 * document fails here rather than in one runtime at run time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { ROOT } from '../helpers/tracker.ts';

// Every .ts under client/, subfolders (the command grammar) included.
const files = (readdirSync(join(ROOT, 'client'), { recursive: true }) as string[])
  .filter((f) => f.endsWith('.ts'))
  .map((f) => join(ROOT, 'client', f));

function diagnostics(lib: string[], types: string[]): string[] {
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: lib.map((l) => `lib.${l.toLowerCase()}.d.ts`),
    types,
    typeRoots: [join(ROOT, 'node_modules/@types')],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    allowImportingTsExtensions: true,
    verbatimModuleSyntax: true,
  });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file ? `${d.file.fileName.slice(ROOT.length)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : '';
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

test('client/ compiles for the browser: the DOM, no Node types', () => {
  assert.ok(files.length >= 5, `client/ files found: ${files.length}`);
  assert.deepEqual(diagnostics(['ES2023', 'DOM'], []), []);
});

test('client/ compiles for Node: Node types, no DOM', () => {
  assert.deepEqual(diagnostics(['ES2023'], ['node']), []);
});
