// The Node configuration: the shared variables (config-env.ts) read from process.env, with
// NAME_FILE secrets read from disk, plus what only a Node server has (host, port, database URL,
// node id from the hostname and pid).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import {
  ConfigError,
  commonSettings,
  ENV_KEYS,
  type EnvValues,
  parseEnv,
  smtpSettings,
} from './config-env.ts';
import type { RateLimitSettings } from './http/rate-limit.ts';
import type { SmtpSettings } from './notifiers/notifier.ts';

export { ConfigError, redactDatabaseUrl } from './config-env.ts';

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
  /** days the audit log keeps an entry (VIGIL_AUDIT_RETENTION_DAYS) */
  auditRetentionDays: number;
  trustProxy: boolean;
  logLevel: EnvValues['VIGIL_LOG_LEVEL'];
  allowPrivateTargets: boolean;
  deliveryTimeoutMs: number;
  /** seconds; see VIGIL_DAEMON_STALE_AFTER */
  daemonStaleAfter: number;
  /** VIGIL_RATE_LIMIT_*: the limits on pings, the APIs and sign-in */
  rateLimits: RateLimitSettings;
  /** VIGIL_HEADERS_TIMEOUT in ms: a client slower to send its headers is cut off */
  headersTimeoutMs: number;
  /** VIGIL_REQUEST_TIMEOUT in ms: a client slower to send its whole request is cut off */
  requestTimeoutMs: number;
  /** null when VIGIL_SMTP_HOST is not set: the email channel then refuses to send */
  smtp: SmtpSettings | null;
  /** VIGIL_OPERATOR_PROJECT: the project (id or name) told when the database refuses writes; null: the oldest */
  operatorProject: string | null;
  /** the first user, made as owner of every project when nobody can sign in yet; null when unset */
  admin: { email: string; password: string } | null;
  /** VIGIL_SECRET_KEY (or its _FILE); null: the key file in the data directory (src/secrets/key-file.ts) */
  secretKey: Uint8Array | null;
  /** VIGIL_ACCESS_LOG: a log line per request */
  accessLog: boolean;
  /** where /metrics is served: behind a key, on a port of its own, both, or (both null) nowhere */
  metrics: MetricsSettings;
}

export interface MetricsSettings {
  /** VIGIL_METRICS_KEY: scrapes send it as a bearer token */
  key: string | null;
  /** VIGIL_METRICS_PORT: a listener of its own; null: /metrics is on the main port (with the key) */
  port: number | null;
  /** VIGIL_METRICS_HOST, default 127.0.0.1 */
  host: string;
}

/**
 * Reads the configuration once. `NAME_FILE` variables are read from the named file (for
 * secrets mounted by Docker/Kubernetes). A bad value throws a ConfigError naming the variable.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  const raw: Record<string, string | undefined> = {};
  for (const key of ENV_KEYS) {
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
  const v = parseEnv(raw);
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
    ...commonSettings(v),
    smtp: smtpSettings(v, baseUrl, v.VIGIL_DELIVERY_TIMEOUT * 1000),
    operatorProject: v.VIGIL_OPERATOR_PROJECT ?? null,
    ...timeouts(v),
    accessLog: v.VIGIL_ACCESS_LOG,
    metrics: metricsSettings(v),
  });
}

/** VIGIL_METRICS_*; the messages never quote the key. */
function metricsSettings(v: EnvValues): MetricsSettings {
  const key = v.VIGIL_METRICS_KEY?.trim() || null;
  if (key !== null && !/^[\x21-\x7e]{16,200}$/.test(key)) {
    throw new ConfigError(
      `VIGIL_METRICS_KEY: expected 16-200 printable characters without spaces (got ${key.length} characters); make one with: openssl rand -hex 24`,
    );
  }
  const port = v.VIGIL_METRICS_PORT ?? null;
  if (port === null && v.VIGIL_METRICS_HOST !== undefined) {
    throw new ConfigError('VIGIL_METRICS_HOST is set but VIGIL_METRICS_PORT is not; set the port too');
  }
  if (port !== null && port !== 0 && port === v.VIGIL_PORT) {
    throw new ConfigError(
      `VIGIL_METRICS_PORT (${port}) is VIGIL_PORT too; give metrics a port of their own, or unset it and use VIGIL_METRICS_KEY`,
    );
  }
  return { key, port, host: v.VIGIL_METRICS_HOST ?? '127.0.0.1' };
}

/** The slow-client timeouts; the headers must come within the time for the whole request. */
function timeouts(v: EnvValues): { headersTimeoutMs: number; requestTimeoutMs: number } {
  if (v.VIGIL_HEADERS_TIMEOUT > v.VIGIL_REQUEST_TIMEOUT) {
    throw new ConfigError(
      `VIGIL_HEADERS_TIMEOUT (${v.VIGIL_HEADERS_TIMEOUT} s) must not be longer than VIGIL_REQUEST_TIMEOUT (${v.VIGIL_REQUEST_TIMEOUT} s)`,
    );
  }
  return {
    headersTimeoutMs: v.VIGIL_HEADERS_TIMEOUT * 1000,
    requestTimeoutMs: v.VIGIL_REQUEST_TIMEOUT * 1000,
  };
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
