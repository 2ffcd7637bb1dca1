import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { pwaShell } from './web/build/pwa-plugin.ts';

const web = fileURLToPath(new URL('./web', import.meta.url));

// The web app is built into dist/web and served by the tracker (one process is a whole deployment).
export default defineConfig({
  root: web,
  base: '/',
  // pwaShell writes sw.js, the service worker that keeps the app shell for a reload when the tracker is gone.
  plugins: [svelte(), pwaShell()],
  build: {
    outDir: fileURLToPath(new URL('./dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // The app alone: the test harness page is built by tests/harness/vite.config.ts, for tests only.
    rollupOptions: { input: { main: `${web}/index.html` } },
  },
  worker: { format: 'es' },
});
