// Where the job-side commands (run, ping, checks, status, crontab, apply, export) find vigil:
// VIGIL_URL and VIGIL_API_KEY / VIGIL_PING_KEY from the environment, else a config file
// (VIGIL_CONFIG, or ~/.config/vigil/config.json): {"url": "...", "api_key": "...", "ping_key": "..."}.
// Cron runs jobs with a bare environment, so the file is what makes crontab lines short.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './io.ts';

export interface ClientConfig {
  /** the server's base URL, without a trailing slash */
  url: string;
  apiKey?: string;
  pingKey?: string;
  /** where the values came from, for error messages */
  source: string;
}

export const DEFAULT_URL = 'http://127.0.0.1:8080';

export function defaultConfigPath(env: Record<string, string | undefined>): string {
  return (
    env.VIGIL_CONFIG ??
    join(env.XDG_CONFIG_HOME ?? join(env.HOME ?? homedir(), '.config'), 'vigil', 'config.json')
  );
}

/** The client settings: each value from the environment first, then the config file. */
export function loadClientConfig(env: Record<string, string | undefined>): ClientConfig {
  const path = defaultConfigPath(env);
  let file: Record<string, unknown> = {};
  let text: string | null = null;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    // a missing file is fine (the environment may say it all); one named explicitly is not
    if (env.VIGIL_CONFIG !== undefined)
      throw new CliError(`cannot read VIGIL_CONFIG=${path}: ${(err as Error).message}`, 78);
  }
  if (text !== null) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      file = parsed as Record<string, unknown>;
    } catch (err) {
      throw new CliError(
        `${path}: expected a JSON object like {"url": "...", "api_key": "..."} (${(err as Error).message})`,
        78,
      );
    }
  }
  const pick = (envName: string, key: string): string | undefined => {
    const fromEnv = env[envName];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    const fromFile = file[key];
    return typeof fromFile === 'string' && fromFile !== '' ? fromFile : undefined;
  };
  const url = (pick('VIGIL_URL', 'url') ?? DEFAULT_URL).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(url))
    throw new CliError(`VIGIL_URL must be an http(s) URL, got ${JSON.stringify(url)}`, 78);
  const apiKey = pick('VIGIL_API_KEY', 'api_key');
  const pingKey = pick('VIGIL_PING_KEY', 'ping_key');
  return {
    url,
    ...(apiKey ? { apiKey } : {}),
    ...(pingKey ? { pingKey } : {}),
    source: text !== null ? `the environment and ${path}` : 'the environment',
  };
}

/** The API key, or a usage error saying where to put one. */
export function requireApiKey(config: ClientConfig): string {
  if (!config.apiKey) {
    throw new CliError(
      `no API key: set VIGIL_API_KEY, or "api_key" in ${defaultConfigPath({})} (create one with: vigil keys create)`,
      78,
    );
  }
  return config.apiKey;
}
