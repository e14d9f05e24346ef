// A small JSON client for /api/v1, for the job-side commands. Errors carry the server's message
// (its one error shape) or say that vigil could not be reached.
import { CliError } from './io.ts';

export interface ApiClient {
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
}

export interface ApiClientOptions {
  url: string;
  apiKey: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export function apiClient(opts: ApiClientOptions): ApiClient {
  const doFetch = opts.fetch ?? fetch;
  return {
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      let res: Response;
      try {
        res = await doFetch(`${opts.url}/api/v1${path}`, {
          method,
          headers: {
            Authorization: `Bearer ${opts.apiKey}`,
            ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
        });
      } catch (err) {
        throw new CliError(`cannot reach vigil at ${opts.url}: ${(err as Error).message}`, 69);
      }
      const text = await res.text();
      let json: unknown = null;
      try {
        json = text === '' ? null : JSON.parse(text);
      } catch {
        // not JSON: reported below
      }
      if (!res.ok) {
        const message =
          (json as { error?: { message?: string } } | null)?.error?.message ?? text.slice(0, 200);
        throw new CliError(
          `${method} ${path}: HTTP ${res.status}: ${message}`,
          res.status === 401 || res.status === 403 ? 77 : 1,
        );
      }
      return json as T;
    },
  };
}
