import { readFileSync } from 'node:fs';
import { z } from 'zod';

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

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  VIGIL_DATABASE_URL: z
    .string()
    .default('sqlite:./data/vigil.db')
    .refine((v) => v.startsWith('sqlite:'), 'only sqlite:<path> is supported (PostgreSQL comes later)')
    .refine((v) => !v.startsWith('sqlite:') || v.length > 'sqlite:'.length, 'give a file path after sqlite:'),
  VIGIL_HOST: z.string().min(1).default('127.0.0.1'),
  VIGIL_PORT: int(0, 65535).default(8080),
  VIGIL_BASE_URL: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
  VIGIL_PING_BODY_LIMIT: byteSize.default(100 * 1024),
  VIGIL_PING_RETENTION: int(1, 1_000_000).default(1000),
  VIGIL_TRUST_PROXY: bool.default(false),
  VIGIL_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /** Outbound alerts to private/loopback addresses are refused unless this is set. */
  VIGIL_ALLOW_PRIVATE_TARGETS: bool.default(false),
  VIGIL_DELIVERY_TIMEOUT: int(1, 120).default(10),
});

export interface Config {
  databaseUrl: string;
  sqlitePath: string;
  host: string;
  port: number;
  baseUrl: string;
  pingBodyLimit: number;
  pingRetention: number;
  trustProxy: boolean;
  logLevel: z.infer<typeof schema>['VIGIL_LOG_LEVEL'];
  allowPrivateTargets: boolean;
  deliveryTimeoutMs: number;
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
      (i) => `${String(i.path[0])}: ${i.message} (got ${JSON.stringify(raw[String(i.path[0])])})`,
    );
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const v = parsed.data;
  const host = v.VIGIL_HOST;
  const shownHost =
    host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return Object.freeze({
    databaseUrl: v.VIGIL_DATABASE_URL,
    sqlitePath: v.VIGIL_DATABASE_URL.slice('sqlite:'.length),
    host,
    port: v.VIGIL_PORT,
    baseUrl: (v.VIGIL_BASE_URL ?? `http://${shownHost}:${v.VIGIL_PORT}`).replace(/\/+$/, ''),
    pingBodyLimit: v.VIGIL_PING_BODY_LIMIT,
    pingRetention: v.VIGIL_PING_RETENTION,
    trustProxy: v.VIGIL_TRUST_PROXY,
    logLevel: v.VIGIL_LOG_LEVEL,
    allowPrivateTargets: v.VIGIL_ALLOW_PRIVATE_TARGETS,
    deliveryTimeoutMs: v.VIGIL_DELIVERY_TIMEOUT * 1000,
  });
}
