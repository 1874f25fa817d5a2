/**
 * Configuration from the environment, each value overridable by a command-line flag
 * (`--port 9000` or `--port=9000`). `--help` lists them.
 */
import { parseArgs } from 'node:util';
import { parseCidrList, type Cidr } from './relay/outbound-policy.js';
import { parseSecretKey, type SecretKey } from './security/secret-key.js';

export interface HubConfig {
  port: number;
  host: string;
  /** Undefined: the hub generates one at start and prints it once. */
  adminToken: string | undefined;
  databaseUrl: string | undefined;
  logLevel: string;
  /** Delays of the delivery attempts after the first, in ms. */
  retrySchedule: number[];
  /** Cap on a call's `timeout` parameter, in ms. */
  maxCallTimeoutMs: number;
  /** Largest request body accepted, in bytes. */
  bodyLimit: number;
  /** Largest provider answer accepted, in bytes. */
  maxProviderResponseBytes: number;
  /** Calls per second allowed per app and community (0 = unlimited), with a burst of twice that. */
  rateLimitPerSecond: number;
  /** How long the previous legacy and signing secrets keep being used after a rotation, in ms. */
  secretOverlapMs: number;
  /** How long call audit lines are kept, in ms. */
  auditRetentionMs: number;
  /** How long the records of the admin change trail are kept, in ms. */
  changeRetentionMs: number;
  /** How long delivered events are kept, in ms. */
  eventRetentionMs: number;
  /** Timeout of one delivery attempt, in ms. */
  deliveryTimeoutMs: number;
  /** Deliveries attempted at once by this process, overall and per subscriber app. */
  deliveryConcurrency: number;
  deliveryConcurrencyPerApp: number;
  /** How long SIGTERM waits for in-flight work, in ms. */
  shutdownGraceMs: number;
  /** Largest event payload a publish accepts, in bytes (calls keep `bodyLimit`). */
  eventMaxBytes: number;
  /** Ranges the hub may not connect to, besides the defaults (see docs/outbound.md). */
  outboundDeny: Cidr[];
  /** Ranges the hub may connect to even when denied. */
  outboundAllow: Cidr[];
  /** Also deny loopback and private ranges. */
  outboundDenyPrivate: boolean;
  /** Seals app secrets at rest; unset with SQLite: a key file beside the database. */
  secretKey: SecretKey | undefined;
  /** The key before a rotation of `secretKey`, still opening what it sealed. */
  secretKeyPrevious: SecretKey | undefined;
  /** Time a client has to send a request's headers, and its whole request, in ms. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open, in ms. */
  keepAliveTimeoutMs: number;
  /** A socket with no traffic either way for this long is closed, in ms; undefined: the call
   * timeout cap plus 30 s, so that no call is cut short. */
  socketTimeoutMs: number | undefined;
  /** Connections open at once; more are refused at accept. */
  maxConnections: number;
  /** Bearer token protecting `/metrics`; undefined: `/metrics` is open. */
  metricsToken: string | undefined;
  /** Hub processes behind the port; undefined: one per core on PostgreSQL, 1 on SQLite. */
  workers: number | undefined;
  /** What this process does: everything, only HTTP (no deliveries), or only deliveries. */
  role: HubRole;
}

export const HUB_ROLES = ['all', 'api', 'deliver'] as const;
export type HubRole = (typeof HUB_ROLES)[number];

interface Option {
  flag: string;
  env: string;
  help: string;
  default: string | undefined;
  parse: (value: string, name: string) => unknown;
  key: keyof HubConfig;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `250ms`, `5s`, `30m`, `2h`, `7d`; a bare number is milliseconds. */
export function parseDuration(value: string, name = 'duration'): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!match) throw new Error(`${name}: "${value}" is not a duration (e.g. 500ms, 5s, 30m, 2h, 7d)`);
  return Math.round(Number(match[1]) * UNIT_MS[match[2] ?? 'ms']!);
}

/** Comma-separated durations, e.g. `5s,5m,30m,2h,5h,10h,10h`. An empty string: no retries. */
export function parseSchedule(value: string, name = 'schedule'): number[] {
  if (value.trim() === '') return [];
  return value.split(',').map((part) => parseDuration(part, name));
}

function parseInteger(min: number) {
  return (value: string, name: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name}: "${value}" must be an integer ≥ ${min}`);
    return n;
  };
}

/** Byte sizes: a number, or with kb/mb suffix (1024-based). */
function parseBytes(value: string, name: string): number {
  const match = /^(\d+)\s*(b|kb|kib|mb|mib)?$/i.exec(value.trim());
  if (!match) throw new Error(`${name}: "${value}" is not a size (e.g. 1048576, 512kb, 1mb)`);
  const unit = (match[2] ?? 'b').toLowerCase();
  const factor = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 * 1024 : 1;
  return Number(match[1]) * factor;
}

const text = (value: string) => value;

/** Shorter tokens can be guessed or were typed as placeholders (`change-me`). */
export const MIN_TOKEN_LENGTH = 16;

function parseSecretToken(value: string, name: string): string {
  if (value.length < MIN_TOKEN_LENGTH) throw new Error(`${name}: the token must be at least ${MIN_TOKEN_LENGTH} characters (it has ${value.length})`);
  return value;
}

const OPTIONS: Option[] = [
  { flag: 'port', env: 'PORT', key: 'port', default: '8080', parse: parseInteger(0), help: 'port to listen on' },
  { flag: 'host', env: 'HOST', key: 'host', default: '127.0.0.1', parse: text, help: 'address to listen on' },
  {
    flag: 'admin-token',
    env: 'HUB_ADMIN_TOKEN',
    key: 'adminToken',
    default: undefined,
    parse: parseSecretToken,
    help: 'bearer token of the admin API (generated and printed at start when unset)',
  },
  {
    flag: 'database-url',
    env: 'DATABASE_URL',
    key: 'databaseUrl',
    default: undefined,
    parse: text,
    help: 'storage: unset → ./data/hub.db; file:/path/hub.db → SQLite; postgres://… → PostgreSQL',
  },
  { flag: 'log-level', env: 'LOG_LEVEL', key: 'logLevel', default: 'info', parse: text, help: 'fatal, error, warn, info, debug, trace or silent' },
  {
    flag: 'retry-schedule',
    env: 'HUB_RETRY_SCHEDULE',
    key: 'retrySchedule',
    default: '5s,5m,30m,2h,5h,10h,10h',
    parse: parseSchedule,
    help: 'delays of the delivery attempts after the first (units ms, s, m, h)',
  },
  {
    flag: 'max-call-timeout',
    env: 'HUB_MAX_CALL_TIMEOUT',
    key: 'maxCallTimeoutMs',
    default: '60s',
    parse: parseDuration,
    help: 'cap on the timeout of a call',
  },
  { flag: 'body-limit', env: 'HUB_BODY_LIMIT', key: 'bodyLimit', default: '1mb', parse: parseBytes, help: 'largest request body accepted' },
  {
    flag: 'max-provider-response',
    env: 'HUB_MAX_PROVIDER_RESPONSE',
    key: 'maxProviderResponseBytes',
    default: '4mb',
    parse: parseBytes,
    help: 'largest provider answer accepted (larger → 502)',
  },
  {
    flag: 'rate-limit',
    env: 'HUB_RATE_LIMIT',
    key: 'rateLimitPerSecond',
    default: '1000',
    parse: parseInteger(0),
    help: 'calls per second per app and community, burst 2× (0 = unlimited)',
  },
  {
    flag: 'secret-overlap',
    env: 'HUB_SECRET_OVERLAP',
    key: 'secretOverlapMs',
    default: '24h',
    parse: parseDuration,
    help: 'how long the old legacy and signing secrets are still used after a rotation',
  },
  {
    flag: 'audit-retention',
    env: 'HUB_AUDIT_RETENTION',
    key: 'auditRetentionMs',
    default: '30d',
    parse: parseDuration,
    help: 'how long call audit lines are kept',
  },
  {
    flag: 'change-retention',
    env: 'HUB_CHANGE_RETENTION',
    key: 'changeRetentionMs',
    default: '365d',
    parse: parseDuration,
    help: 'how long the records of admin changes (GET /v1/admin/changes) are kept',
  },
  {
    flag: 'event-retention',
    env: 'HUB_EVENT_RETENTION',
    key: 'eventRetentionMs',
    default: '7d',
    parse: parseDuration,
    help: 'how long events are kept once no delivery is pending',
  },
  {
    flag: 'delivery-timeout',
    env: 'HUB_DELIVERY_TIMEOUT',
    key: 'deliveryTimeoutMs',
    default: '15s',
    parse: parseDuration,
    help: 'timeout of one delivery attempt',
  },
  {
    flag: 'delivery-concurrency',
    env: 'HUB_DELIVERY_CONCURRENCY',
    key: 'deliveryConcurrency',
    default: '256',
    parse: parseInteger(1),
    help: 'deliveries attempted at once by this process',
  },
  {
    flag: 'delivery-concurrency-per-app',
    env: 'HUB_DELIVERY_CONCURRENCY_PER_APP',
    key: 'deliveryConcurrencyPerApp',
    default: '16',
    parse: parseInteger(1),
    help: 'deliveries attempted at once to one subscriber app',
  },
  {
    flag: 'shutdown-grace',
    env: 'HUB_SHUTDOWN_GRACE',
    key: 'shutdownGraceMs',
    default: '10s',
    parse: parseDuration,
    help: 'how long SIGTERM waits for in-flight calls and deliveries',
  },
  {
    flag: 'event-max-bytes',
    env: 'HUB_EVENT_MAX_BYTES',
    key: 'eventMaxBytes',
    default: '256kb',
    help: 'largest event payload accepted by a publish (larger → 413)',
    parse: (value, name) => {
      const bytes = parseBytes(value, name);
      if (bytes < 1) throw new Error(`${name}: "${value}" must be at least 1 byte`);
      return bytes;
    },
  },
  {
    flag: 'outbound-deny',
    env: 'HUB_OUTBOUND_DENY',
    key: 'outboundDeny',
    default: '',
    parse: parseCidrList,
    help: 'comma-separated CIDR ranges providers and subscribers may not be at, besides link-local, unspecified, multicast and cloud metadata',
  },
  {
    flag: 'outbound-allow',
    env: 'HUB_OUTBOUND_ALLOW',
    key: 'outboundAllow',
    default: '',
    parse: parseCidrList,
    help: 'comma-separated CIDR ranges allowed even when denied (wins over every deny)',
  },
  {
    flag: 'outbound-deny-private',
    env: 'HUB_OUTBOUND_DENY_PRIVATE',
    key: 'outboundDenyPrivate',
    default: 'false',
    help: 'also deny loopback and private ranges (true when app developers register their own manifests)',
    parse: (value, name) => {
      if (value !== 'true' && value !== 'false') throw new Error(`${name}: "${value}" must be true or false`);
      return value === 'true';
    },
  },
  {
    flag: 'secret-key',
    env: 'HUB_SECRET_KEY',
    key: 'secretKey',
    default: undefined,
    parse: parseSecretKey,
    help: 'key encrypting app secrets at rest: 32 random bytes, base64 or hex (openssl rand -base64 32); required with PostgreSQL; unset with SQLite → generated in <database>.key',
  },
  {
    flag: 'secret-key-previous',
    env: 'HUB_SECRET_KEY_PREVIOUS',
    key: 'secretKeyPrevious',
    default: undefined,
    parse: parseSecretKey,
    help: 'the key before a rotation of HUB_SECRET_KEY: secrets it encrypted are encrypted again with the new key at start',
  },
  {
    flag: 'headers-timeout',
    env: 'HUB_HEADERS_TIMEOUT',
    key: 'headersTimeoutMs',
    default: '15s',
    parse: parseDuration,
    help: 'time a client has to send the headers of a request',
  },
  {
    flag: 'request-timeout',
    env: 'HUB_REQUEST_TIMEOUT',
    key: 'requestTimeoutMs',
    default: '30s',
    parse: parseDuration,
    help: 'time a client has to send a whole request (headers and body)',
  },
  {
    flag: 'keep-alive-timeout',
    env: 'HUB_KEEP_ALIVE_TIMEOUT',
    key: 'keepAliveTimeoutMs',
    default: '72s',
    parse: parseDuration,
    help: 'how long an idle keep-alive connection stays open',
  },
  {
    flag: 'socket-timeout',
    env: 'HUB_SOCKET_TIMEOUT',
    key: 'socketTimeoutMs',
    default: undefined,
    parse: parseDuration,
    help: 'a connection silent both ways this long is closed (default: the call timeout cap + 30s)',
  },
  {
    flag: 'max-connections',
    env: 'HUB_MAX_CONNECTIONS',
    key: 'maxConnections',
    default: '10000',
    parse: parseInteger(1),
    help: 'connections open at once; more are refused',
  },
  {
    flag: 'metrics-token',
    env: 'HUB_METRICS_TOKEN',
    key: 'metricsToken',
    default: undefined,
    parse: parseSecretToken,
    help: 'bearer token required by /metrics (open when unset)',
  },
  {
    flag: 'workers',
    env: 'HUB_WORKERS',
    key: 'workers',
    default: undefined,
    parse: parseInteger(1),
    help: 'hub processes sharing the port, restarted when they crash; PostgreSQL only above 1 (default: one per core on PostgreSQL, 1 on SQLite; docs/scaling.md)',
  },
  {
    flag: 'role',
    env: 'HUB_ROLE',
    key: 'role',
    default: 'all',
    help: 'all, api (HTTP and publishes, no deliveries) or deliver (deliveries, /healthz, /readyz, /metrics); PostgreSQL only for api and deliver',
    parse: (value, name) => {
      if (!(HUB_ROLES as readonly string[]).includes(value)) throw new Error(`${name}: "${value}" must be one of ${HUB_ROLES.join(', ')}`);
      return value;
    },
  },
];

export function helpText(): string {
  const lines = OPTIONS.map((o) => {
    const def = o.default === undefined ? '' : ` (default ${o.default})`;
    return `  --${o.flag.padEnd(30)} ${o.env.padEnd(34)} ${o.help}${def}`;
  });
  return [
    'Usage: api-hub [options]',
    '',
    '  flag                             environment variable               meaning',
    ...lines,
    '  --help                           show this help',
    '',
  ].join('\n');
}

/** Builds the configuration; throws an Error naming the bad option. */
export function loadConfig(argv: string[] = [], env: NodeJS.ProcessEnv = process.env): HubConfig {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(OPTIONS.map((o) => [o.flag, { type: 'string' as const }])),
    strict: true,
    allowPositionals: false,
  });
  const config: Record<string, unknown> = {};
  for (const option of OPTIONS) {
    const raw = values[option.flag] ?? env[option.env] ?? option.default;
    const unset = raw === undefined || (raw === '' && option.default === undefined);
    config[option.key] = unset ? undefined : option.parse(raw, `--${option.flag} / ${option.env}`);
  }
  const hub = config as unknown as HubConfig;
  // Node refuses a headers timeout longer than the request timeout it is part of.
  if (hub.requestTimeoutMs > 0 && hub.headersTimeoutMs > hub.requestTimeoutMs)
    throw new Error('--headers-timeout / HUB_HEADERS_TIMEOUT: must not be longer than --request-timeout / HUB_REQUEST_TIMEOUT');
  return hub;
}

/** Defaults for embedding the hub in tests and tools: everything as documented, overridable. */
export function defaultConfig(overrides: Partial<HubConfig> = {}): HubConfig {
  return { ...loadConfig([], {}), ...overrides };
}
