import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
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

const schema = z.object({
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

export interface Config {
  databaseUrl: string;
  /** the file of a sqlite: URL; null for PostgreSQL */
  sqlitePath: string | null;
  /** PostgreSQL connections per node (VIGIL_DB_POOL_SIZE) */
  dbPoolSize: number;
  /** this node's name in delivery leases and sweep claims (VIGIL_NODE_ID) */
  nodeId: string;
  host: string;
  port: number;
  baseUrl: string;
  pingBodyLimit: number;
  pingRetention: number;
  trustProxy: boolean;
  logLevel: z.infer<typeof schema>['VIGIL_LOG_LEVEL'];
  allowPrivateTargets: boolean;
  deliveryTimeoutMs: number;
  /** seconds; see VIGIL_DAEMON_STALE_AFTER */
  daemonStaleAfter: number;
  /** null when VIGIL_SMTP_HOST is not set: the email channel then refuses to send */
  smtp: SmtpSettings | null;
  /** the first user, made as owner of every project when nobody can sign in yet; null when unset */
  admin: { email: string; password: string } | null;
}

export class ConfigError extends Error {}

/**
 * Reads the configuration once. `NAME_FILE` variables are read from the named file (for
 * secrets mounted by Docker/Kubernetes). A bad value throws a ConfigError naming the variable.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  const raw: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const file = env[`${key}_FILE`];
    if (file !== undefined && file !== '') {
      if (env[key] !== undefined) throw new ConfigError(`${key} and ${key}_FILE are both set; use one`);
      try {
        raw[key] = readFileSync(file, 'utf8').trim();
      } catch (err) {
        throw new ConfigError(`${key}_FILE: cannot read ${file}: ${(err as Error).message}`);
      }
    } else if (env[key] !== undefined && env[key] !== '') {
      raw[key] = env[key];
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `${String(i.path[0])}: ${i.message} (got ${JSON.stringify(shown(String(i.path[0]), raw))})`,
    );
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const v = parsed.data;
  const host = v.VIGIL_HOST;
  const shownHost =
    host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const baseUrl = (v.VIGIL_BASE_URL ?? `http://${shownHost}:${v.VIGIL_PORT}`).replace(/\/+$/, '');
  return Object.freeze({
    databaseUrl: v.VIGIL_DATABASE_URL,
    sqlitePath: v.VIGIL_DATABASE_URL.startsWith('sqlite:')
      ? v.VIGIL_DATABASE_URL.slice('sqlite:'.length)
      : null,
    dbPoolSize: v.VIGIL_DB_POOL_SIZE,
    nodeId: v.VIGIL_NODE_ID ?? defaultNodeId(),
    host,
    port: v.VIGIL_PORT,
    baseUrl,
    pingBodyLimit: v.VIGIL_PING_BODY_LIMIT,
    pingRetention: v.VIGIL_PING_RETENTION,
    trustProxy: v.VIGIL_TRUST_PROXY,
    logLevel: v.VIGIL_LOG_LEVEL,
    allowPrivateTargets: v.VIGIL_ALLOW_PRIVATE_URLS || v.VIGIL_ALLOW_PRIVATE_TARGETS,
    deliveryTimeoutMs: v.VIGIL_DELIVERY_TIMEOUT * 1000,
    daemonStaleAfter: v.VIGIL_DAEMON_STALE_AFTER,
    smtp: smtpSettings(v, baseUrl, v.VIGIL_DELIVERY_TIMEOUT * 1000),
    admin: adminSettings(v),
  });
}

/**
 * hostname-pid-random: unique among running nodes without any setup. The random part makes a
 * restarted process a new node, whose start cannot free the old one's leases (they run out
 * instead); a stable VIGIL_NODE_ID lets a restart take its work back at once.
 */
export function defaultNodeId(): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9.-]/g, '-')
      .slice(0, 40) || 'node';
  return `${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
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

function adminSettings(v: z.infer<typeof schema>): Config['admin'] {
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

function smtpSettings(v: z.infer<typeof schema>, baseUrl: string, timeoutMs: number): SmtpSettings | null {
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
