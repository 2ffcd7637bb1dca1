/**
 * Starts the transfer engine with the browser platform and plugs it into the
 * app. Kept apart from main.ts so the engine's wiring lives in one place.
 */
import type { TrackerClient } from '../../../client/tracker.ts';
import type { MeshdropApp } from './app.ts';

export function startTransfers(_app: MeshdropApp, _client: TrackerClient): void {
  // The engine (client/engine.ts) and the browser platform (web/src/platform/) are wired in here when they land.
}
