#!/usr/bin/env node
// The `meshdrop` command (package.json "bin"): runs cli/main.ts through tsx,
// so `npx meshdrop` works from a clone with no build step.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../cli/run.ts');
await run();
