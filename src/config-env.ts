// The environment variables every runtime reads, and their validation: one zod schema, so a
// value is judged the same on Node and on Cloudflare Workers. Runtime-neutral (no files, no
// process.env, no host names): src/config.ts reads the variables on Node (with NAME_FILE secrets),
// src/runtimes/workers/worker-config.ts from a Worker's vars and secrets.
import { z } from 'zod';
import { passwordProblem } from './auth/passwords.ts';
import { emailProblem, normalizeEmail } from './auth/users.ts';
import type { SmtpSettings } from './notifiers/notifier.ts';

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
  VIGIL_TRUST_PROXY: bool.default(false),
  VIGIL_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
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
  /** the first user, made on a start with no users; checked in adminSettings (never echoed) */
  VIGIL_ADMIN_EMAIL: z.string().trim().optional(),
  VIGIL_ADMIN_PASSWORD: z.string().optional(),
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
    trustProxy: v.VIGIL_TRUST_PROXY,
    logLevel: v.VIGIL_LOG_LEVEL,
    allowPrivateTargets: v.VIGIL_ALLOW_PRIVATE_URLS || v.VIGIL_ALLOW_PRIVATE_TARGETS,
    deliveryTimeoutMs: v.VIGIL_DELIVERY_TIMEOUT * 1000,
    daemonStaleAfter: v.VIGIL_DAEMON_STALE_AFTER,
    admin: adminSettings(v),
  };
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
