// The configuration on Workers: the same VIGIL_* variables as on Node, from wrangler.jsonc
// "vars" and Worker secrets, validated by the same schema (config-env.ts). What only a Node
// server has (a database URL, a host and port, node ids, SMTP, NAME_FILE secrets) is refused by
// name rather than ignored, so nobody believes a setting took effect when it cannot.
import { ConfigError, commonSettings, ENV_KEYS, type EnvValues, parseEnv } from '../../config-env.ts';
import type { RateLimitSettings } from '../../http/rate-limit.ts';
import type { LogLevel } from './console-log.ts';

export interface WorkerConfig {
  /** VIGIL_BASE_URL; null: the origin of the request being served */
  baseUrl: string | null;
  pingBodyLimit: number;
  pingRetention: number;
  /** days the audit log keeps an entry (VIGIL_AUDIT_RETENTION_DAYS) */
  auditRetentionDays: number;
  /** VIGIL_TRUST_PROXY: read X-Forwarded-For (only behind a proxy of your own in front of Cloudflare) */
  trustProxy: boolean;
  logLevel: LogLevel;
  allowPrivateTargets: boolean;
  deliveryTimeoutMs: number;
  daemonStaleAfter: number;
  /** VIGIL_RATE_LIMIT_*: counted per isolate, in memory */
  rateLimits: RateLimitSettings;
  /** the first user, made on the first request to a database with no users */
  admin: { email: string; password: string } | null;
  /** VIGIL_SECRET_KEY (a Worker secret); null: channel and source secrets are stored plain */
  secretKey: Uint8Array | null;
  /** VIGIL_BOOTSTRAP_KEY: the API key of the default project, made on the first request to an empty database */
  bootstrapKey: string | null;
  /**
   * VIGIL_CLOCK_ALARMS (default true): the clock sets its alarm to the earliest thing due. false:
   * it runs only on the per-minute cron trigger (far fewer Durable Object invocations; alerts up
   * to a minute after their deadline)
   */
  clockAlarms: boolean;
}

const DATABASE = 'a Worker keeps its data in the D1 binding "DB" (d1_databases in wrangler.jsonc); remove it';
const SMTP =
  'the Workers build of vigil has no SMTP client; remove it and send email through an HTTP email API (docs/deploy-workers.md, "Email")';

const METRICS =
  'a Worker has no /metrics (each isolate would count only its own requests); remove it and use the Workers analytics';

/** Variables that mean something on Node only, and why they are refused here. */
const NODE_ONLY: Record<string, string> = {
  VIGIL_DATABASE_URL: DATABASE,
  VIGIL_DB_POOL_SIZE: DATABASE,
  VIGIL_HOST: 'a Worker does not listen on an address; remove it',
  VIGIL_PORT: 'a Worker does not listen on a port; remove it',
  VIGIL_NODE_ID: 'a Worker runs its timed work in one Durable Object, not on nodes; remove it',
  VIGIL_HEADERS_TIMEOUT: 'Cloudflare reads the requests of a Worker, with its own timeouts; remove it',
  VIGIL_REQUEST_TIMEOUT: 'Cloudflare reads the requests of a Worker, with its own timeouts; remove it',
  VIGIL_OPERATOR_PROJECT:
    'a Worker has no storage monitor to send operator alerts (D1 is managed by Cloudflare); remove it',
  VIGIL_ACCESS_LOG:
    'Cloudflare logs every request of a Worker already (Workers Logs); remove it. Errors are logged with their request id either way',
  VIGIL_METRICS_KEY: METRICS,
  VIGIL_METRICS_PORT: METRICS,
  VIGIL_METRICS_HOST: METRICS,
  VIGIL_SMTP_HOST: SMTP,
  VIGIL_SMTP_PORT: SMTP,
  VIGIL_SMTP_SECURE: SMTP,
  VIGIL_SMTP_REQUIRE_TLS: SMTP,
  VIGIL_SMTP_USER: SMTP,
  VIGIL_SMTP_PASSWORD: SMTP,
  VIGIL_SMTP_FROM: SMTP,
  VIGIL_SMTP_TLS_REJECT_UNAUTHORIZED: SMTP,
};

/** Variables only the Workers build reads. */
const WORKERS_ONLY = ['VIGIL_BOOTSTRAP_KEY', 'VIGIL_CLOCK_ALARMS'];

const BOOTSTRAP_KEY = /^vgl_[A-Za-z0-9_-]{20,196}$/;

/**
 * Reads the configuration from a Worker's env (its bindings, vars and secrets). A bad value
 * throws a ConfigError naming the variable, as on Node.
 */
export function loadWorkerConfig(env: Record<string, unknown>): Readonly<WorkerConfig> {
  const raw: Record<string, string | undefined> = {};
  const problems: string[] = [];
  for (const key of [...ENV_KEYS, ...WORKERS_ONLY]) {
    if (env[`${key}_FILE`] !== undefined)
      problems.push(
        `${key}_FILE: Workers have no files; set ${key} as a secret (npx wrangler secret put ${key})`,
      );
    const value = env[key];
    if (value === undefined || value === '') continue;
    if (Object.hasOwn(NODE_ONLY, key)) {
      problems.push(`${key}: ${NODE_ONLY[key]}`);
      continue;
    }
    // "vars" in wrangler.jsonc may be JSON numbers or booleans
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      raw[key] = String(value);
    else problems.push(`${key}: expected text, a number or a boolean`);
  }
  const { VIGIL_BOOTSTRAP_KEY: bootstrapKey, VIGIL_CLOCK_ALARMS: alarms, ...shared } = raw;
  const clockAlarms = alarms === undefined ? true : /^(1|true|yes)$/i.test(alarms.trim());
  if (alarms !== undefined && !/^(1|true|yes|0|false|no)$/i.test(alarms.trim()))
    problems.push(`VIGIL_CLOCK_ALARMS: expected true or false (got "${alarms.slice(0, 40)}")`);
  const v: EnvValues = parseEnv(shared, problems);
  if (bootstrapKey !== undefined && !BOOTSTRAP_KEY.test(bootstrapKey)) {
    // never quoted: it is a secret
    throw new ConfigError(
      'VIGIL_BOOTSTRAP_KEY: expected "vgl_" and then 20 to 196 letters, digits, "-" or "_" (make one with: echo "vgl_$(openssl rand -hex 24)")',
    );
  }
  return Object.freeze({
    baseUrl: v.VIGIL_BASE_URL?.replace(/\/+$/, '') ?? null,
    ...commonSettings(v),
    bootstrapKey: bootstrapKey ?? null,
    clockAlarms,
  });
}
