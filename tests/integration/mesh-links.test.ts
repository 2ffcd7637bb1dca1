/** The mesh acceptance suite over the built-in WebSocket links. */
import { meshAcceptanceSuite } from './mesh-acceptance.ts';

meshAcceptanceSuite('links');
