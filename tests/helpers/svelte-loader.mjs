// Node module hooks that load `*.svelte.ts` files the way Vite does for the app:
// strip the TypeScript, then compile the runes with Svelte's own compiler
// (client output, so $state/$derived are the real signals the app runs on).
// Registered by tests/helpers/svelte-modules.ts before importing a state class.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { compileModule } from 'svelte/compiler';

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !/\.svelte\.ts$/.test(new URL(url).pathname)) return nextLoad(url, context);
  const path = fileURLToPath(url);
  const source = await readFile(path, 'utf8');
  const js = ts.transpileModule(source, {
    fileName: path,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      verbatimModuleSyntax: true,
      rewriteRelativeImportExtensions: false,
    },
  }).outputText;
  const compiled = compileModule(js, { filename: path, generate: 'client', dev: false });
  return { format: 'module', source: compiled.js.code, shortCircuit: true };
}
