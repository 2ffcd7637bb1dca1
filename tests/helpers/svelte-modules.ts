/**
 * Lets a Node test import the app's `*.svelte.ts` state classes: registers
 * tests/helpers/svelte-loader.mjs (TypeScript stripped, runes compiled by
 * Svelte's compiler, exactly as Vite builds them). Import this module before
 * dynamically importing a `.svelte.ts` file.
 */
import { register } from 'node:module';

register('./svelte-loader.mjs', import.meta.url);

/** Svelte applies $state writes synchronously; `flushSync` runs pending effects when a test needs them. */
export { flushSync } from 'svelte';
