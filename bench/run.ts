/**
 * `npm run bench -- <name> [flags]`: runs bench/<name>.ts with the flags.
 * Each benchmark is a self-contained script whose last line is one JSON object.
 */
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'run.ts').map((f) => f.slice(0, -3));
const [name, ...flags] = process.argv.slice(2);
if (!name || !/^[a-z0-9-]+$/.test(name) || !existsSync(`${dir}/${name}.ts`)) {
  console.error(`usage: npm run bench -- <name> [flags]\nbenchmarks: ${available.join(', ')}`);
  process.exit(2);
}
// The benchmark reads its own flags from process.argv.
process.argv = [process.argv[0]!, `${dir}/${name}.ts`, ...flags];
await import(pathToFileURL(`${dir}/${name}.ts`).href);
