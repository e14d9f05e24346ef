// The environment variables every runtime reads, and their validation: one zod schema, so a
// value is judged the same on Node and on Cloudflare Workers. Runtime-neutral (no files, no
// process.env, no host names): src/config.ts reads the variables on Node (with NAME_FILE secrets),
// src/runtimes/workers/worker-config.ts from a Worker's vars and secrets.
import { z } from 'zod';
import { passwordProblem } from './auth/passwords.ts';
import { emailProblem, normalizeEmail } from './auth/users.ts';
import type { Rate, RateLimitSettings } from './http/rate-limit.ts';
import type { SmtpSettings } from './notifiers/notifier.ts';
import { decodeSecretKey, MAKE_KEY } from './secrets/secret-key.ts';

/** Byte sizes like "100kb", "1mb" or a plain number of bytes. */
const byteSize = z
  .string()
  .trim()
  .regex(/^\d+(\.\d+)?\s*(b|kb|k|mb|m)?$/i, 'expected a size such as 102400, 100kb or 1mb')
  .transform((v) => {
    const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(v)!;
    const unit = m[2]!.toLowerCase();
    const mult = unit.startsWith('m') ? 1024 * 1024 : unit.startsWith('k') ? 1024 : 1;
    return Math.floor(Number(m[1]) * mult);
  })
  .pipe(
    z
      .number()
      .int()
      .min(0)
      .max(10 * 1024 * 1024, 'at most 10mb'),
  );

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['1', '0', 'true', 'false', 'yes', 'no', ''].includes(v), 'expected true or false')
  .transform((v) => ['1', 'true', 'yes'].includes(v));

/**
 * A rate limit: "<requests a second>/<burst>" (100/1000; 0.2/20 is one every 5 s, 20 at once),
 * or off (also 0) for none.
 */
const rateLimit = (fallback: string) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .default(fallback)
    .transform((v, ctx): Rate | null => {
      if (v === 'off' || v === '0') return null;
      const m = /^(\d+(?:\.\d+)?)\/(\d+)$/.exec(v);
      const perSecond = Number(m?.[1]);
      const burst = Number(m?.[2]);
      if (!m || perSecond <= 0 || perSecond > 1_000_000 || burst < 1 || burst > 10_000_000) {
        ctx.addIssue({
          code: 'custom',
          message:
            'expected "<requests a second>/<burst>" such as 100/1000 (a rate above 0, a burst of at least 1), or off',
        });
        return z.NEVER;
      }
      return { perSecond, burst };
    });

const POSTGRES_URL = /^postgres(ql)?:\/\//;

const NODE_ID = /^[A-Za-z0-9._-]{1,64}$/;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const envSchema = z.object({
  VIGIL_DATABASE_URL: z
    .string()
    .default('sqlite:./data/vigil.db')
    .refine(
      (v) => v.startsWith('sqlite:') || POSTGRES_URL.test(v),
      'expected sqlite:<path> or postgres://user:password@host:5432/database',
    )
    .refine((v) => !v.startsWith('sqlite:') || v.length > 'sqlite:'.length, 'give a file path after sqlite:')
    .refine((v) => !POSTGRES_URL.test(v) || URL.canParse(v), 'not a valid postgres:// URL'),
  /** connections in the PostgreSQL pool, per node */
  VIGIL_DB_POOL_SIZE: int(1, 1000).default(10),
  /** who this node is in leases and claims; unique per running node */
  VIGIL_NODE_ID: z
    .string()
    .trim()
    .regex(NODE_ID, 'expected 1-64 letters, digits, dots, dashes or underscores')
    .optional(),
  VIGIL_HOST: z.string().min(1).default('127.0.0.1'),
  VIGIL_PORT: int(0, 65535).default(8080),
  VIGIL_BASE_URL: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
  VIGIL_PING_BODY_LIMIT: byteSize.default(100 * 1024),
  VIGIL_PING_RETENTION: int(1, 1_000_000).default(1000),
  /** days the audit log keeps an entry */
  VIGIL_AUDIT_RETENTION_DAYS: int(1, 36_500).default(365),
  VIGIL_TRUST_PROXY: bool.default(false),
  /** pings per project ping key or per check (UUID pings) */
  VIGIL_RATE_LIMIT_PING: rateLimit('200/2000'),
  /** pings per client address */
  VIGIL_RATE_LIMIT_PING_ADDRESS: rateLimit('1000/10000'),
  /** API requests (/api/v1 and the compat APIs) per API key */
  VIGIL_RATE_LIMIT_API: rateLimit('100/1000'),
  /** API requests without a valid key, per client address */
  VIGIL_RATE_LIMIT_API_ADDRESS: rateLimit('10/100'),
  /** dashboard sign-in attempts per client address */
  VIGIL_RATE_LIMIT_LOGIN: rateLimit('0.2/20'),
  /** seconds a client has to send a request's headers (Node) */
  VIGIL_HEADERS_TIMEOUT: int(1, 3600).default(10),
  /** seconds a client has to send a whole request, body included (Node) */
  VIGIL_REQUEST_TIMEOUT: int(1, 3600).default(30),
  VIGIL_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /** a log line per HTTP request (Node); 5xx answers are logged either way */
  VIGIL_ACCESS_LOG: bool.default(false),
  /** who may read /metrics (Authorization: Bearer); checked in config.ts metricsSettings (never echoed) */
  VIGIL_METRICS_KEY: z.string().optional(),
  /** /metrics on a port of its own (Node) */
  VIGIL_METRICS_PORT: int(0, 65535).optional(),
  VIGIL_METRICS_HOST: z.string().trim().min(1).optional(),
  /** Outbound alerts to private/loopback addresses are refused unless this is set. */
  VIGIL_ALLOW_PRIVATE_URLS: bool.default(false),
  /** the earlier name of VIGIL_ALLOW_PRIVATE_URLS, still read */
  VIGIL_ALLOW_PRIVATE_TARGETS: bool.default(false),
  VIGIL_DELIVERY_TIMEOUT: int(1, 120).default(10),
  /** seconds without a heartbeat before a daemon (compat daemon API) is stale and its check down */
  VIGIL_DAEMON_STALE_AFTER: int(10, 86_400).default(60),
  VIGIL_SMTP_HOST: z.string().trim().min(1).max(253).optional(),
  VIGIL_SMTP_PORT: int(1, 65535).optional(),
  VIGIL_SMTP_SECURE: bool.optional(),
  VIGIL_SMTP_REQUIRE_TLS: bool.default(false),
  VIGIL_SMTP_USER: z.string().max(256).optional(),
  VIGIL_SMTP_PASSWORD: z.string().max(256).optional(),
  VIGIL_SMTP_FROM: z.string().trim().max(320).optional(),
  VIGIL_SMTP_TLS_REJECT_UNAUTHORIZED: bool.default(true),
  /** whose channels hear that vigil's own database refuses writes: a project's id or name (Node) */
  VIGIL_OPERATOR_PROJECT: z.string().trim().min(1).max(200).optional(),
  /** the first user, made on a start with no users; checked in adminSettings (never echoed) */
  VIGIL_ADMIN_EMAIL: z.string().trim().optional(),
  VIGIL_ADMIN_PASSWORD: z.string().optional(),
  /** seals channel and source secrets in the database; checked in secretKeySetting (never echoed) */
  VIGIL_SECRET_KEY: z.string().optional(),
});

export type EnvValues = z.infer<typeof envSchema>;

/** Every variable the schema knows, e.g. for picking them out of a larger environment. */
export const ENV_KEYS = Object.keys(envSchema.shape) as (keyof EnvValues)[];

export class ConfigError extends Error {}

/**
 * Validates raw values (unset ones left out). A bad value throws a ConfigError that names
 * every variable at fault, with what it got (never a database password), after `found`: the
 * problems the caller found itself, so one message lists them all.
 */
export function parseEnv(raw: Record<string, string | undefined>, found: string[] = []): EnvValues {
  const parsed = envSchema.safeParse(raw);
  if (parsed.success && found.length === 0) return parsed.data;
  const lines = [
    ...found,
    ...(parsed.error?.issues ?? []).map(
      (i) => `${String(i.path[0])}: ${i.message} (got ${JSON.stringify(shown(String(i.path[0]), raw))})`,
    ),
  ];
  throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
}

/** A raw value as an error message may quote it: never a database password. */
function shown(key: string, raw: Record<string, string | undefined>): string | undefined {
  const value = raw[key];
  return key === 'VIGIL_DATABASE_URL' && value !== undefined ? redactDatabaseUrl(value) : value;
}

/** The database URL with its password masked, for logs and messages. */
export function redactDatabaseUrl(url: string): string {
  if (!POSTGRES_URL.test(url)) return url;
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/** The settings every runtime reads the same way (Node's config.ts, the Workers' worker-config.ts). */
export function commonSettings(v: EnvValues) {
  return {
    pingBodyLimit: v.VIGIL_PING_BODY_LIMIT,
    pingRetention: v.VIGIL_PING_RETENTION,
    auditRetentionDays: v.VIGIL_AUDIT_RETENTION_DAYS,
    trustProxy: v.VIGIL_TRUST_PROXY,
    logLevel: v.VIGIL_LOG_LEVEL,
    allowPrivateTargets: v.VIGIL_ALLOW_PRIVATE_URLS || v.VIGIL_ALLOW_PRIVATE_TARGETS,
    deliveryTimeoutMs: v.VIGIL_DELIVERY_TIMEOUT * 1000,
    daemonStaleAfter: v.VIGIL_DAEMON_STALE_AFTER,
    rateLimits: {
      ping: v.VIGIL_RATE_LIMIT_PING,
      pingAddress: v.VIGIL_RATE_LIMIT_PING_ADDRESS,
      api: v.VIGIL_RATE_LIMIT_API,
      apiAddress: v.VIGIL_RATE_LIMIT_API_ADDRESS,
      login: v.VIGIL_RATE_LIMIT_LOGIN,
    } satisfies RateLimitSettings,
    admin: adminSettings(v),
    secretKey: secretKeySetting(v),
  };
}

/** The key that seals stored secrets (VIGIL_SECRET_KEY); null when unset. */
export function secretKeySetting(v: EnvValues): Uint8Array | null {
  if (v.VIGIL_SECRET_KEY === undefined) return null;
  const key = decodeSecretKey(v.VIGIL_SECRET_KEY);
  // the message never quotes the key, not even a wrong one
  if (key === null) {
    throw new ConfigError(
      `VIGIL_SECRET_KEY: expected 32 random bytes as 64 hex digits or as base64 (got ${v.VIGIL_SECRET_KEY.trim().length} characters); make one with: ${MAKE_KEY}`,
    );
  }
  return key;
}

/** The first user (VIGIL_ADMIN_EMAIL and VIGIL_ADMIN_PASSWORD); null when neither is set. */
export function adminSettings(v: EnvValues): { email: string; password: string } | null {
  const { VIGIL_ADMIN_EMAIL: email, VIGIL_ADMIN_PASSWORD: password } = v;
  if (email === undefined && password === undefined) return null;
  if (email === undefined || password === undefined) {
    throw new ConfigError('VIGIL_ADMIN_EMAIL and VIGIL_ADMIN_PASSWORD go together; set both or neither');
  }
  const emailError = emailProblem(email);
  if (emailError) throw new ConfigError(`VIGIL_ADMIN_EMAIL: ${emailError} (got ${JSON.stringify(email)})`);
  // the message never quotes the password
  const passwordError = passwordProblem(password);
  if (passwordError) throw new ConfigError(`VIGIL_ADMIN_PASSWORD: ${passwordError}`);
  return { email: normalizeEmail(email), password };
}

/** The SMTP server (VIGIL_SMTP_*); null when VIGIL_SMTP_HOST is not set. */
export function smtpSettings(v: EnvValues, baseUrl: string, timeoutMs: number): SmtpSettings | null {
  if (v.VIGIL_SMTP_HOST === undefined) {
    const stray = (
      ['VIGIL_SMTP_USER', 'VIGIL_SMTP_PASSWORD', 'VIGIL_SMTP_FROM', 'VIGIL_SMTP_PORT'] as const
    ).find((key) => v[key] !== undefined);
    if (stray)
      throw new ConfigError(`${stray} is set but VIGIL_SMTP_HOST is not; set the SMTP server's host`);
    return null;
  }
  if ((v.VIGIL_SMTP_USER === undefined) !== (v.VIGIL_SMTP_PASSWORD === undefined)) {
    throw new ConfigError('VIGIL_SMTP_USER and VIGIL_SMTP_PASSWORD go together; set both or neither');
  }
  const secure = v.VIGIL_SMTP_SECURE ?? v.VIGIL_SMTP_PORT === 465;
  const from = v.VIGIL_SMTP_FROM ?? `vigil@${new URL(baseUrl).hostname}`;
  if (!/^[^\s@<>]+@[^\s@<>]+$/.test(from.replace(/^.*<(.+)>\s*$/, '$1'))) {
    throw new ConfigError(
      `VIGIL_SMTP_FROM: expected an email address, optionally with a name ("vigil <alerts@example.com>"), got ${JSON.stringify(from)}`,
    );
  }
  return {
    host: v.VIGIL_SMTP_HOST,
    port: v.VIGIL_SMTP_PORT ?? (secure ? 465 : 587),
    secure,
    requireTls: v.VIGIL_SMTP_REQUIRE_TLS,
    rejectUnauthorized: v.VIGIL_SMTP_TLS_REJECT_UNAUTHORIZED,
    ...(v.VIGIL_SMTP_USER !== undefined ? { user: v.VIGIL_SMTP_USER, password: v.VIGIL_SMTP_PASSWORD } : {}),
    from,
    timeoutMs,
  };
}
