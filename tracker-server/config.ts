/**
 * Command line and environment → configuration. Pure (no file or network
 * access), so every flag can be tested without starting anything. Flags win
 * over environment variables; both have the embedded defaults below.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { IceServer } from '../protocol/tracker.ts';
import { DEFAULT_SCRYPT, type ScryptCost } from './auth.ts';
import { parseQuotas, type Quotas } from './quotas.ts';

export interface CliConfig {
  host: string;
  port: number;
  dataDir: string;
  /** undefined: read from (or create in) the data dir. */
  trackerId: string | undefined;
  publicUrls: string[];
  iceServers: z.infer<typeof IceServer>[];
  scrypt: ScryptCost;
  snapshotEvery: number;
  webDir: string | undefined;
  /** Other trackers to link to (the built-in mesh). */
  peers: string[];
  /** Shared secret proving mesh membership. */
  secret: string | undefined;
  /** NATS servers: use JetStream instead of the built-in links. */
  nats: string[];
  /** Limits per user and per group (see quotas.ts). */
  quotas: Quotas;
  /** With it, /metrics answers only `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
}

export const USAGE = `meshdrop tracker

  --host HOST          address to listen on            (MESHDROP_HOST, default 0.0.0.0)
  --port PORT          port for HTTP and /ws           (MESHDROP_PORT, default 8080)
  --data-dir DIR       where the op log lives          (MESHDROP_DATA_DIR, default ./data)
  --tracker-id ID      this tracker's stable name      (MESHDROP_TRACKER_ID, default: random, kept in the data dir)
  --public-url URL     ws:// or wss:// URL clients use to reach this and every other tracker,
                       repeatable                      (MESHDROP_PUBLIC_URLS, comma-separated)
  --ice-server URL     STUN/TURN URL for WebRTC, repeatable, or JSON {urls,username,credential}
                                                       (MESHDROP_ICE_SERVERS, comma-separated; default none)
  --peer URL           another tracker to replicate with (ws://host:port), repeatable
                                                       (MESHDROP_PEERS, comma-separated)
  --secret SECRET      shared secret of the tracker mesh; with --nats, signs and checks every NATS message
                                                       (MESHDROP_SECRET)
  --nats URL           NATS server(s) for JetStream replication instead of --peer, repeatable
                                                       (MESHDROP_NATS, comma-separated)
  --scrypt-n N         scrypt cost for new passwords, a power of 2 (MESHDROP_SCRYPT_N, default 32768)
  --snapshot-every N   ops between snapshots           (MESHDROP_SNAPSHOT_EVERY, default 10000)
  --web-dir DIR        built web app to serve          (MESHDROP_WEB_DIR, default dist/web)
  --quota NAME=N       override a quota, repeatable    (MESHDROP_QUOTAS, comma-separated); NAME one of
                       files-per-user (1000), files-per-group (2000), hashes-per-user (131072),
                       hashes-per-group (262144), groups-per-user (50), invites-per-group (20),
                       requests-per-group (100), hashes-per-user-per-day (262144)
  --metrics-token T    /metrics needs "Authorization: Bearer T" (MESHDROP_METRICS_TOKEN, default: open)
  --help               this text
`;

const Port = z.coerce.number().int().min(0).max(65535);
const PowerOfTwo = z.coerce.number().int().min(2).refine((n) => (n & (n - 1)) === 0, 'must be a power of 2');

const list = (flag: string[] | undefined, env: string | undefined): string[] =>
  flag?.length ? flag : (env ?? '').split(',').map((s) => s.trim()).filter(Boolean);

function iceServer(text: string): z.infer<typeof IceServer> {
  return text.trim().startsWith('{') ? IceServer.parse(JSON.parse(text)) : { urls: text };
}

/** Throws an Error with a readable message on a bad flag or value. */
export function parseConfig(argv: string[], env: Record<string, string | undefined>): CliConfig | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      'tracker-id': { type: 'string' },
      'public-url': { type: 'string', multiple: true },
      'ice-server': { type: 'string', multiple: true },
      peer: { type: 'string', multiple: true },
      secret: { type: 'string' },
      nats: { type: 'string', multiple: true },
      'scrypt-n': { type: 'string' },
      'snapshot-every': { type: 'string' },
      'web-dir': { type: 'string' },
      quota: { type: 'string', multiple: true },
      'metrics-token': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return 'help';
  const field = <T>(name: string, schema: z.ZodType<T>, value: unknown): T => {
    const r = schema.safeParse(value);
    if (!r.success) throw new Error(`--${name}: ${r.error.issues[0]!.message}`);
    return r.data;
  };
  const trackerId = values['tracker-id'] ?? env.MESHDROP_TRACKER_ID;
  if (trackerId !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(trackerId)) {
    throw new Error('--tracker-id: letters, digits, _ and - only, at most 32');
  }
  return {
    host: values.host ?? env.MESHDROP_HOST ?? '0.0.0.0',
    port: field('port', Port, values.port ?? env.MESHDROP_PORT ?? 8080),
    dataDir: values['data-dir'] ?? env.MESHDROP_DATA_DIR ?? './data',
    trackerId,
    publicUrls: list(values['public-url'], env.MESHDROP_PUBLIC_URLS),
    iceServers: list(values['ice-server'], env.MESHDROP_ICE_SERVERS).map(iceServer),
    scrypt: { ...DEFAULT_SCRYPT, N: field('scrypt-n', PowerOfTwo, values['scrypt-n'] ?? env.MESHDROP_SCRYPT_N ?? DEFAULT_SCRYPT.N) },
    snapshotEvery: field('snapshot-every', z.coerce.number().int().min(1), values['snapshot-every'] ?? env.MESHDROP_SNAPSHOT_EVERY ?? 10_000),
    webDir: values['web-dir'] ?? env.MESHDROP_WEB_DIR,
    peers: list(values.peer, env.MESHDROP_PEERS),
    secret: values.secret ?? env.MESHDROP_SECRET,
    nats: list(values.nats, env.MESHDROP_NATS),
    quotas: parseQuotas(list(values.quota, env.MESHDROP_QUOTAS)),
    metricsToken: metricsToken(values['metrics-token'] ?? env.MESHDROP_METRICS_TOKEN),
  };
}

/** An empty token would protect nothing: refused rather than silently leaving /metrics open. */
function metricsToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  if (token.trim().length < 16) throw new Error('--metrics-token: at least 16 characters (a random string; it guards /metrics)');
  return token;
}
