// The client. Every public method goes through `guard`: monitoring must not break the program
// it watches, so unless `strict` is set an error is logged and the method returns a fallback.
import { describeError } from './describe-error.ts';
import { startHeartbeat } from './heartbeat.ts';
import { send, type TransportOptions, VigilError } from './transport.ts';
import type {
  CheckRef,
  CheckSpec,
  HeartbeatOptions,
  Logger,
  PingOptions,
  RegisteredCheck,
  RunOptions,
  VigilOptions,
} from './types.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A vigil client.
 *
 * @example
 * const vigil = new Vigil({ url: 'https://vigil.example.com', pingKey: process.env.VIGIL_PING_KEY });
 * await vigil.monitor('nightly-backup', () => runBackup());
 */
export class Vigil {
  readonly #transport: TransportOptions;
  readonly #apiKey: string | undefined;
  readonly #pingKey: string | undefined;
  readonly #strict: boolean;
  readonly #logger: Logger;
  /** slug → id, from `register()` and from lookups */
  readonly #ids = new Map<string, string>();

  constructor(options: VigilOptions) {
    this.#transport = {
      baseUrl: options.url.replace(/\/+$/, ''),
      timeoutMs: options.timeoutMs ?? 10_000,
      retries: Math.max(0, options.retries ?? 2),
    };
    this.#apiKey = options.apiKey;
    this.#pingKey = options.pingKey;
    this.#strict = options.strict ?? false;
    this.#logger = options.logger ?? console;
  }

  /**
   * Creates or updates checks by slug (`PUT /api/v1/checks/by-slug/<slug>`); safe to run on
   * every start. Needs `apiKey`. Resolves to the checks as stored; one that failed is left out
   * (or `null` for a single spec) after a warning.
   *
   * @example
   * await vigil.register({ slug: 'nightly-backup', schedule: { kind: 'cron', expression: '0 2 * * *' } });
   */
  register(spec: CheckSpec): Promise<RegisteredCheck | null>;
  register(specs: CheckSpec[]): Promise<RegisteredCheck[]>;
  async register(specs: CheckSpec | CheckSpec[]): Promise<RegisteredCheck | null | RegisteredCheck[]> {
    if (!Array.isArray(specs)) return this.#registerOne(specs);
    const checks: RegisteredCheck[] = [];
    for (const spec of specs) {
      const check = await this.#registerOne(spec);
      if (check) checks.push(check);
    }
    return checks;
  }

  #registerOne({ slug, ...fields }: CheckSpec): Promise<RegisteredCheck | null> {
    return this.#guard(`register ${slug}`, null, async () => {
      const answer = await send(this.#transport, {
        method: 'PUT',
        // one path segment: the route's {slug} does not span a "/"
        path: `/api/v1/checks/by-slug/${encodeURIComponent(slug)}`,
        headers: { ...this.#auth(), 'Content-Type': 'application/json' },
        body: JSON.stringify(fields),
      });
      const check = JSON.parse(answer.text) as RegisteredCheck;
      this.#ids.set(check.slug, check.id);
      return check;
    });
  }

  /**
   * Sends one ping: a success unless `action` says otherwise. Resolves to whether vigil got it.
   *
   * @example
   * await vigil.ping('queue-depth', { action: 'log', message: 'depth 42' });
   */
  ping(check: CheckRef, options: PingOptions = {}): Promise<boolean> {
    const action = options.action ?? 'success';
    return this.#guard(`ping ${check} (${action})`, false, async () => {
      const base = await this.#pingBase(check);
      const suffix = action === 'success' ? '' : `/${action}`;
      const query = options.runId ? `?rid=${encodeURIComponent(options.runId)}` : '';
      await send(this.#transport, {
        method: 'POST',
        path: `${base}${suffix}${query}`,
        headers: { 'Content-Type': 'text/plain; charset=utf-8' },
        body: options.message ?? '',
      });
      return true;
    });
  }

  /** A run started. Pair it with `success`/`fail` through the same `runId` to record a duration. */
  start(check: CheckRef, options: Pick<RunOptions, 'runId'> = {}): Promise<boolean> {
    return this.ping(check, { ...options, action: 'start' });
  }

  /** The run (or the job, without a start) succeeded. */
  success(check: CheckRef, options: RunOptions = {}): Promise<boolean> {
    return this.ping(check, { ...options, action: 'success' });
  }

  /** The run failed: the check goes down (after `failure_threshold` failures). */
  fail(check: CheckRef, options: RunOptions = {}): Promise<boolean> {
    return this.ping(check, { ...options, action: 'fail' });
  }

  /**
   * A process's exit status: 0 is success, anything else (up to 255) a failure.
   *
   * @example
   * child.on('exit', (code) => vigil.exitCode('import', code ?? 1));
   */
  exitCode(check: CheckRef, code: number, options: RunOptions = {}): Promise<boolean> {
    return this.ping(check, { ...options, action: code });
  }

  /**
   * Runs `fn` as one run of `check`: a start, then a success (vigil measures the duration
   * between them by their shared run id) or a fail with the error's message and stack head.
   * Returns what `fn` returns and re-throws what it throws.
   *
   * @example
   * const rows = await vigil.monitor('nightly-import', async () => importRows());
   */
  async monitor<T>(check: CheckRef, fn: () => T | Promise<T>): Promise<T> {
    const runId = crypto.randomUUID();
    // awaited, so the start is recorded before the end; a slow vigil delays the job by at most
    // timeoutMs × (retries + 1), and a strict client refuses to run the job unmonitored
    await this.start(check, { runId });
    let value: T;
    try {
      value = await fn();
    } catch (err) {
      // the job's own error matters more than a lost fail ping, even to a strict client
      await this.fail(check, { runId, message: describeError(err) }).catch((pingErr: unknown) => {
        this.#warn(`fail ping for ${check}`, pingErr);
      });
      throw err;
    }
    await this.success(check, { runId });
    return value;
  }

  /**
   * Pings `check` every `options.every` ms, starting now, until the returned `stop()` is
   * called. Its timers do not keep the process alive. `stop()` resolves once a ping in flight
   * has settled.
   *
   * @example
   * const stop = vigil.heartbeat('worker', { every: 60_000, status: () => (queue.healthy ? 'ok' : 'fail') });
   * process.on('SIGTERM', () => void stop());
   */
  heartbeat(check: CheckRef, options: HeartbeatOptions): () => Promise<void> {
    return startHeartbeat(options, async (status, message) => {
      // a strict client's errors have no caller to reach here: they are logged too
      const sent = status === 'ok' ? this.success(check, { message }) : this.fail(check, { message });
      await sent.catch((err: unknown) => this.#warn(`heartbeat ${check}`, err));
    });
  }

  /** `/ping/<uuid>` or `/ping/<ping key>/<slug>`, looking the id up when only an API key allows. */
  async #pingBase(check: CheckRef): Promise<string> {
    if (UUID.test(check)) return `/ping/${check}`;
    const known = this.#ids.get(check);
    if (known) return `/ping/${known}`;
    if (this.#pingKey) return `/ping/${encodeURIComponent(this.#pingKey)}/${slugPath(check)}`;
    if (!this.#apiKey) {
      throw new VigilError(`cannot address the check "${check}" by slug: give a pingKey or an apiKey`);
    }
    const answer = await send(this.#transport, {
      method: 'GET',
      path: `/api/v1/checks?slug=${encodeURIComponent(check)}&limit=1`,
      headers: this.#auth(),
    });
    const found = (JSON.parse(answer.text) as { checks: RegisteredCheck[] }).checks[0];
    if (!found) throw new VigilError(`no check with the slug "${check}" in this API key's project`, 404);
    this.#ids.set(check, found.id);
    return `/ping/${found.id}`;
  }

  #auth(): Record<string, string> {
    if (!this.#apiKey) throw new VigilError('this needs an API key: pass apiKey to new Vigil()');
    return { Authorization: `Bearer ${this.#apiKey}` };
  }

  async #guard<T>(what: string, fallback: T, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (this.#strict) throw err;
      this.#warn(what, err);
      return fallback;
    }
  }

  #warn(what: string, err: unknown): void {
    this.#logger.warn(`vigil: ${what} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** A slug in a URL path: its `/` stay separators, anything else is escaped. */
function slugPath(slug: string): string {
  return slug.split('/').map(encodeURIComponent).join('/');
}
