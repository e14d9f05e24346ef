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
  trustProxy: boolean;
  logLevel: EnvValues['VIGIL_LOG_LEVEL'];
  allowPrivateTargets: boolean;
  deliveryTimeoutMs: number;
  /** seconds; see VIGIL_DAEMON_STALE_AFTER */
  daemonStaleAfter: number;
  /** null when VIGIL_SMTP_HOST is not set: the email channel then refuses to send */
  smtp: SmtpSettings | null;
  /** the first user, made as owner of every project when nobody can sign in yet; null when unset */
  admin: { email: string; password: string } | null;
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
