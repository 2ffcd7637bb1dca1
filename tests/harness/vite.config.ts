import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

/**
 * The test harness page, built only for tests: `npm run build:test` first
 * builds the app into dist/test-web, then this adds harness.html beside it,
 * so a test tracker serves both from one origin (the harness connects to the
 * tracker that served it). Production `dist/web` never holds it.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  build: {
    outDir: fileURLToPath(new URL('../../dist/test-web', import.meta.url)),
    emptyOutDir: false,
    target: 'es2022',
    rollupOptions: { input: { harness: fileURLToPath(new URL('./harness.html', import.meta.url)) } },
  },
  worker: { format: 'es' },
});
