/** The app controller reaches components through Svelte context: one per tab, no module-level singleton. */
import { getContext, setContext } from 'svelte';
import type { MeshdropApp } from './app.ts';

const KEY = Symbol('meshdrop-app');

export function provideApp(app: MeshdropApp): void {
  setContext(KEY, app);
}

export function useApp(): MeshdropApp {
  const app = getContext<MeshdropApp | undefined>(KEY);
  if (!app) throw new Error('useApp() outside <App>');
  return app;
}
