/**
 * `npm start` / `tsx tracker-server/main.ts`: the tracker's process. V8's
 * young generation is capped first (young-generation.ts), and only then is
 * the rest of the tracker loaded (start.ts): loading its modules is itself a
 * burst that would grow the young generation to its maximum for good.
 */
import { keepYoungGenerationSmall } from './young-generation.ts';

keepYoungGenerationSmall();
await import('./start.ts');
