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
import {
  SESSION_IDLE_MS,
  SESSION_LIFETIME_MAX_MS,
  SESSION_LIFETIME_MIN_MS,
  SESSION_MAX_MS,
  MAX_TRACKER_NAME_LENGTH,
  SIGNUP_BURST,
  TRACKER_ID_PATTERN,
} from '../protocol/constants.ts';
import { trustedProxies } from './gateway/client-address.ts';
import { TURN_TTL_MS, TURN_URL_PATTERN } from './turn-credentials.ts';

export interface CliConfig {
  host: string;
  port: number;
  dataDir: string;
  /** undefined: read from (or create in) the data dir. */
  trackerId: string | undefined;
  /** The name people see for this tracker (--name; default the host's name). */
  name: string;
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
  /** Reverse proxies whose X-Forwarded-For is believed (addresses or CIDR ranges); empty: the header is ignored. */
  trustProxy: string[];
  sessionIdleMs: number;
  sessionMaxMs: number;
  /** Sign-ups per address at once (then one a minute); 0: no limit. */
  signupBurst: number;
  /** WebSocket connections held in all; more are closed with CloseCode.TrackerFull. */
  maxConnections: number;
  /** WebSocket connections held per client address (IPv6: per /64); more are closed with CloseCode.TooManyFromAddress. */
  maxConnectionsPerAddress: number;
  /** Origins browsers may open /ws from; empty: any. */
  allowedOrigins: string[];
  /** UDP port of the STUN responder; undefined: the HTTP port's number; 0: off. */
  stunPort: number | undefined;
  /** TURN servers handed (with a fresh credential) to signed-in users; needs turnSecret. */
  turnUrls: string[];
  /** coturn's static-auth-secret: TURN credentials are minted from it (turn-credentials.ts). */
  turnSecret: string | undefined;
  /** How long a minted TURN credential lives. */
  turnTtlMs: number;
}

export const USAGE = `meshdrop tracker

  --host HOST          address to listen on            (MESHDROP_HOST, default 0.0.0.0)
  --port PORT          port for HTTP and /ws           (MESHDROP_PORT, default 8080)
  --data-dir DIR       where the op log lives          (MESHDROP_DATA_DIR, default ./data)
  --tracker-id ID      this tracker's stable name      (MESHDROP_TRACKER_ID, default: random, kept in the data dir)
  --name NAME          the name people see for this tracker in the app, e.g. "Home" or "Office"
                                                       (MESHDROP_NAME, default: this computer's host name)
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
  --max-connections N  WebSocket connections in all  (MESHDROP_MAX_CONNECTIONS, default 10000)
  --max-connections-per-address N
                       WebSocket connections per client address, IPv6 per /64
                                                       (MESHDROP_MAX_CONNECTIONS_PER_ADDRESS, default 100)
  --allowed-origin ORIGIN
                       an origin (https://host[:port]) whose pages may open /ws, repeatable;
                       default any                     (MESHDROP_ALLOWED_ORIGINS, comma-separated)
  --scrypt-n N         scrypt cost for new passwords, a power of 2 (MESHDROP_SCRYPT_N, default 32768)
  --snapshot-every N   ops between snapshots           (MESHDROP_SNAPSHOT_EVERY, default 10000)
  --web-dir DIR        built web app to serve          (MESHDROP_WEB_DIR, default dist/web)
  --quota NAME=N       override a quota, repeatable    (MESHDROP_QUOTAS, comma-separated); NAME one of
                       files-per-user (1000), files-per-group (2000), hashes-per-user (131072),
                       hashes-per-group (262144), groups-per-user (50), invites-per-group (20),
                       requests-per-group (100), hashes-per-user-per-day (262144)
  --metrics-token T    /metrics needs "Authorization: Bearer T" (MESHDROP_METRICS_TOKEN, default: open)
  --trust-proxy ADDR   a reverse proxy's address or CIDR range, repeatable: connections from it are
                       counted by the right-most untrusted X-Forwarded-For hop; without it the header
                       is ignored                      (MESHDROP_TRUST_PROXY, comma-separated)
  --session-idle DUR   a session unused this long ends, e.g. 30d, 12h, 90m
                                                       (MESHDROP_SESSION_IDLE, default 30d)
  --session-max DUR    a session ends this long after log-in, used or not
                                                       (MESHDROP_SESSION_MAX, default 90d)
  --signups-per-address N  sign-ups one address may make at once, then one a minute; 0: no limit
                                                       (MESHDROP_SIGNUPS_PER_ADDRESS, default 20)
  --stun-port PORT     UDP port answering STUN binding requests; 0 turns it off
                                                       (MESHDROP_STUN_PORT, default: the --port number)
  --turn-url URL       a TURN server (turn: or turns:, host[:port], optional ?transport=udp|tcp) for
                       signed-in users only, repeatable; needs --turn-secret
                                                       (MESHDROP_TURN_URLS, comma-separated; default none)
  --turn-secret S      coturn's static-auth-secret (use-auth-secret): each session gets a credential
                       minted from it that expires    (MESHDROP_TURN_SECRET)
  --turn-ttl DUR       how long a minted TURN credential lives, e.g. 12h
                                                       (MESHDROP_TURN_TTL, default 12h)
  --help               this text
`;

const TurnUrl = z.string().regex(TURN_URL_PATTERN, 'turn: or turns:, then host[:port], optionally ?transport=udp or ?transport=tcp');
const Port = z.coerce.number().int().min(0).max(65535);
const Count = z.coerce.number().int().min(1);
/** An origin as browsers send it: scheme, host and port only, no path or trailing slash. */
const Origin = z.string().regex(/^https?:\/\/[^/\s]+$/, 'an origin is scheme://host[:port], with no path');
const PowerOfTwo = z.coerce.number().int().min(2).refine((n) => (n & (n - 1)) === 0, 'must be a power of 2');

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 24 * 3600_000 } as const;
/** A duration with its unit: 30d, 12h, 90m, 45s, 1500ms (at least a second, at most ~27 years). */
const Duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'a number and a unit: ms, s, m, h or d (e.g. 30d)')
  .transform((text) => {
    const [, n, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(text)!;
    return Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
  })
  .refine((ms) => ms >= SESSION_LIFETIME_MIN_MS && ms <= SESSION_LIFETIME_MAX_MS, 'between 1s and 10000d');

const list = (flag: string[] | undefined, env: string | undefined): string[] =>
  flag?.length ? flag : (env ?? '').split(',').map((s) => s.trim()).filter(Boolean);

function iceServer(text: string): z.infer<typeof IceServer> {
  return text.trim().startsWith('{') ? IceServer.parse(JSON.parse(text)) : { urls: text };
}

/** Throws an Error with a readable message on a bad flag or value. */
export function parseConfig(argv: string[], env: Record<string, string | undefined>, hostname = ''): CliConfig | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      'tracker-id': { type: 'string' },
      name: { type: 'string' },
      'public-url': { type: 'string', multiple: true },
      'ice-server': { type: 'string', multiple: true },
      peer: { type: 'string', multiple: true },
      secret: { type: 'string' },
      nats: { type: 'string', multiple: true },
      'max-connections': { type: 'string' },
      'max-connections-per-address': { type: 'string' },
      'allowed-origin': { type: 'string', multiple: true },
      'scrypt-n': { type: 'string' },
      'snapshot-every': { type: 'string' },
      'web-dir': { type: 'string' },
      quota: { type: 'string', multiple: true },
      'metrics-token': { type: 'string' },
      'trust-proxy': { type: 'string', multiple: true },
      'session-idle': { type: 'string' },
      'session-max': { type: 'string' },
      'signups-per-address': { type: 'string' },
      'stun-port': { type: 'string' },
      'turn-url': { type: 'string', multiple: true },
      'turn-secret': { type: 'string' },
      'turn-ttl': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return 'help';
  const field = <T>(name: string, schema: z.ZodType<T>, value: unknown): T => {
    const r = schema.safeParse(value);
    if (!r.success) throw new Error(`--${name}: ${r.error.issues[0]!.message}`);
    return r.data;
  };
  const optional = <T>(name: string, schema: z.ZodType<T>, value: string | undefined): T | undefined =>
    value === undefined || value === '' ? undefined : field(name, schema, value);
  const trackerId = values['tracker-id'] ?? env.MESHDROP_TRACKER_ID;
  if (trackerId !== undefined && !TRACKER_ID_PATTERN.test(trackerId)) {
    throw new Error('--tracker-id: letters, digits, _ and - only, at most 32');
  }
  const trustProxy = list(values['trust-proxy'], env.MESHDROP_TRUST_PROXY);
  trustedProxies(trustProxy); // throws on an entry that is not an address or range
  const sessionIdleMs = field('session-idle', Duration, values['session-idle'] ?? env.MESHDROP_SESSION_IDLE ?? `${SESSION_IDLE_MS}ms`);
  const sessionMaxMs = field('session-max', Duration, values['session-max'] ?? env.MESHDROP_SESSION_MAX ?? `${SESSION_MAX_MS}ms`);
  if (sessionIdleMs > sessionMaxMs) throw new Error('--session-max: must be at least --session-idle');
  const turnUrls = list(values['turn-url'], env.MESHDROP_TURN_URLS).map((u) => field('turn-url', TurnUrl, u));
  const turnSecret = values['turn-secret'] ?? env.MESHDROP_TURN_SECRET;
  // Credentials are minted from the secret, never static: a URL without it would hand out a relay nobody can use.
  if (turnUrls.length > 0 && !turnSecret) throw new Error('--turn-url needs --turn-secret (coturn\'s static-auth-secret): credentials are minted from it');
  if (turnSecret !== undefined && turnSecret.trim().length < 16) throw new Error('--turn-secret: at least 16 characters (a random string; it guards the relay)');
  if (turnSecret !== undefined && turnUrls.length === 0) throw new Error('--turn-secret needs at least one --turn-url');
  return {
    trustProxy,
    sessionIdleMs,
    sessionMaxMs,
    signupBurst: field('signups-per-address', z.coerce.number().int().min(0), values['signups-per-address'] ?? env.MESHDROP_SIGNUPS_PER_ADDRESS ?? SIGNUP_BURST),
    host: values.host ?? env.MESHDROP_HOST ?? '0.0.0.0',
    port: field('port', Port, values.port ?? env.MESHDROP_PORT ?? 8080),
    dataDir: values['data-dir'] ?? env.MESHDROP_DATA_DIR ?? './data',
    trackerId,
    name: trackerName(values.name ?? env.MESHDROP_NAME, hostname),
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
    // 10,000 sockets at a few KiB each is tens of MB and well under a raised file-descriptor limit;
    // 100 per address leaves room for an office or a school behind one NAT address, each with a few tabs.
    maxConnections: field('max-connections', Count, values['max-connections'] ?? env.MESHDROP_MAX_CONNECTIONS ?? 10_000),
    maxConnectionsPerAddress: field(
      'max-connections-per-address',
      Count,
      values['max-connections-per-address'] ?? env.MESHDROP_MAX_CONNECTIONS_PER_ADDRESS ?? 100,
    ),
    allowedOrigins: list(values['allowed-origin'], env.MESHDROP_ALLOWED_ORIGINS).map((o) => field('allowed-origin', Origin, o)),
    stunPort: optional('stun-port', Port, values['stun-port'] ?? env.MESHDROP_STUN_PORT),
    turnUrls,
    turnSecret,
    turnTtlMs: field('turn-ttl', Duration, values['turn-ttl'] ?? env.MESHDROP_TURN_TTL ?? `${TURN_TTL_MS}ms`),
  };
}

/**
 * The name people see: the operator's, else the host's name (what an operator
 * recognises), else plain words; never the random tracker id. Throws on a name
 * people could not read: empty, too long, or with control characters.
 */
export function trackerName(given: string | undefined, hostname: string): string {
  if (given === undefined) {
    const host = hostname.trim();
    return host && host.length <= MAX_TRACKER_NAME_LENGTH && !CONTROL.test(host) ? host : DEFAULT_TRACKER_NAME;
  }
  const name = given.trim();
  if (!name) throw new Error('--name: must not be empty');
  if (name.length > MAX_TRACKER_NAME_LENGTH) throw new Error(`--name: at most ${MAX_TRACKER_NAME_LENGTH} characters; this one has ${name.length}`);
  if (CONTROL.test(name)) throw new Error('--name: no control characters (tabs, new lines)');
  return name;
}

/**
 * What the operator should hear at start-up about a configuration that runs
 * but does not do what they likely meant; each a line for the log.
 */
export function configWarnings(config: Pick<CliConfig, 'host' | 'publicUrls' | 'peers' | 'nats'>): string[] {
  const warnings: string[] = [];
  const meshed = config.peers.length > 0 || config.nats.length > 0;
  const wildcard = config.host === '0.0.0.0' || config.host === '::';
  // Bound to all addresses, the tracker knows no address to give the others (server.ts names itself only
  // when bound to one): browsers on the other trackers then never learn this one, so cannot fail over to it.
  if (meshed && wildcard && config.publicUrls.length === 0) {
    warnings.push(
      'no --public-url: the other trackers cannot tell their browsers where this one is, so those browsers will not fail over to it. Give the URL browsers use to reach this tracker (--public-url wss://host/ws, MESHDROP_PUBLIC_URLS).',
    );
  }
  return warnings;
}

/** When neither --name nor the host's name gives one. */
export const DEFAULT_TRACKER_NAME = 'Meshdrop tracker';
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** An empty token would protect nothing: refused rather than silently leaving /metrics open. */
function metricsToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  if (token.trim().length < 16) throw new Error('--metrics-token: at least 16 characters (a random string; it guards /metrics)');
  return token;
}
