/** The mesh acceptance suite over NATS JetStream (a real nats-server -js). */
import { meshAcceptanceSuite } from './mesh-acceptance.ts';

meshAcceptanceSuite('nats');
