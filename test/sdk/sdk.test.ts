// @vigil/sdk against the real server: the calls a program makes, and what vigil records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Logger, Vigil, VigilError } from '../../packages/sdk/src/index.ts';
import {
  apiClient,
  freePort,
  startVigil,
  tempDir,
  type VigilProcess,
  waitFor,
} from '../e2e/server-process.ts';

interface Ping {
  kind: string;
  rid: string | null;
  duration_ms: number | null;
  body: string | null;
}

const tmp = tempDir('vigil-sdk-');
let server: VigilProcess;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  server = await startVigil({ dbPath: `${tmp.dir}/vigil.db` });
  if (!server.bootstrap) throw new Error(`no first-start credentials\n${server.stdout()}`);
  api = apiClient(server.url, server.bootstrap.key);
});

afterAll(async () => {
  await server?.stop();
  tmp.remove();
});

/** A logger that keeps what it is told. */
function recorder(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, warn: (message: string) => void lines.push(message) };
}

function client(options: { pingKey?: boolean; apiKey?: boolean; logger?: Logger } = {}) {
  return new Vigil({
    url: server.url,
    apiKey: options.apiKey === false ? undefined : server.bootstrap!.key,
    pingKey: options.pingKey ? server.bootstrap!.pingKey : undefined,
    strict: true,
    logger: options.logger,
  });
}

async function pings(id: string): Promise<Ping[]> {
  const res = await api<{ pings: Ping[] }>('GET', `/checks/${id}/pings`);
  expect(res.status).toBe(200);
  return res.body.pings;
}

async function register(slug: string): Promise<string> {
  const check = await client().register({ slug, schedule: { kind: 'interval', period: 3600 } });
  return check!.id;
}

describe('register', () => {
  it('creates a check by slug, then updates the same one', async () => {
    const vigil = client();
    const spec = { slug: 'sdk/backup', name: 'Backup', schedule: { kind: 'interval' as const, period: 300 } };
    const first = await vigil.register([spec]);
    const second = await vigil.register([{ ...spec, tags: ['nightly'] }]);
    expect(first).toHaveLength(1);
    expect(second[0]!.id).toBe(first[0]!.id);
    expect(second[0]!.tags).toEqual(['nightly']);
    const listed = await api<{ checks: unknown[] }>('GET', '/checks?slug=sdk/backup');
    expect(listed.body.checks).toHaveLength(1);
  });

  it('registers an http check with its probe and success criteria', async () => {
    const [check] = await client().register([
      {
        slug: 'sdk/site',
        kind: 'http',
        probe: { url: 'https://example.com/health', keyword: 'ok', timeout: 5 },
        schedule: { kind: 'interval', period: 60 },
        success_criteria: 'answers 2xx with "ok" within 5 s',
      },
    ]);
    expect(check).toMatchObject({
      kind: 'http',
      probe: { method: 'GET', url: 'https://example.com/health', keyword: 'ok', timeout: 5 },
      success_criteria: 'answers 2xx with "ok" within 5 s',
    });
  });

  it('logs a rejected spec and leaves it out when not strict', async () => {
    const logger = recorder();
    const vigil = new Vigil({ url: server.url, apiKey: server.bootstrap!.key, logger });
    const checks = await vigil.register([
      { slug: 'sdk/fine' },
      { slug: 'sdk/bad', schedule: { kind: 'interval', period: 0 } },
    ]);
    expect(checks.map((c) => c.slug)).toEqual(['sdk/fine']);
    expect(logger.lines.join('\n')).toMatch(/register sdk\/bad failed: .*400/);
  });
});

describe('ping', () => {
  it('reaches a check by its UUID', async () => {
    const id = await register('sdk/by-uuid');
    expect(await client({ apiKey: false }).ping(id, { message: 'hello' })).toBe(true);
    expect(await pings(id)).toMatchObject([{ kind: 'success', body: 'hello' }]);
  });

  it('reaches a check by slug through the ping key', async () => {
    const id = await register('sdk/by-slug');
    expect(await client({ apiKey: false, pingKey: true }).fail('sdk/by-slug', { message: 'bad' })).toBe(true);
    expect(await pings(id)).toMatchObject([{ kind: 'fail', body: 'bad' }]);
  });

  it('reaches a check by slug through the API key when there is no ping key', async () => {
    const id = await register('sdk/by-lookup');
    expect(await client().exitCode('sdk/by-lookup', 3)).toBe(true);
    expect(await pings(id)).toMatchObject([{ kind: 'exit' }]);
  });
});

describe('monitor', () => {
  it('sends start and success with one run id, returns the value, and vigil records the duration', async () => {
    const id = await register('sdk/monitor-ok');
    const value = await client({ pingKey: true }).monitor('sdk/monitor-ok', async () => {
      await new Promise((r) => setTimeout(r, 60));
      return 42;
    });
    expect(value).toBe(42);
    const [end, start] = await pings(id);
    expect(start).toMatchObject({ kind: 'start' });
    expect(end).toMatchObject({ kind: 'success', rid: start!.rid });
    expect(end!.duration_ms).toBeGreaterThanOrEqual(50);
  });

  it('sends a fail with the error message and re-throws the original error', async () => {
    const id = await register('sdk/monitor-fail');
    const boom = new Error('disk full');
    await expect(
      client().monitor('sdk/monitor-fail', () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    const [end, start] = await pings(id);
    expect(end).toMatchObject({ kind: 'fail', rid: start!.rid });
    expect(end!.body).toMatch(/^Error: disk full\n\s*at /);
    expect(end!.duration_ms).not.toBeNull();
  });
});

describe('heartbeat', () => {
  it('pings repeatedly until stop(), then never again', async () => {
    const id = await register('sdk/heartbeat');
    let calls = 0;
    const stop = client().heartbeat(id, {
      every: 50,
      status: () => (++calls === 2 ? 'fail' : 'ok'),
    });
    await waitFor('three heartbeats', async () => (await pings(id)).length >= 3);
    await stop();
    const count = (await pings(id)).length;
    await new Promise((r) => setTimeout(r, 250));
    const after = await pings(id);
    expect(after).toHaveLength(count);
    expect(after.map((p) => p.kind)).toContain('fail');
  });
});

describe('when vigil cannot be reached', () => {
  async function unreachable(strict: boolean) {
    const logger = recorder();
    const url = `http://127.0.0.1:${await freePort()}`;
    return { logger, vigil: new Vigil({ url, pingKey: 'pk', strict, retries: 1, timeoutMs: 1000, logger }) };
  }

  it('swallows the error and logs a warning', async () => {
    const { vigil, logger } = await unreachable(false);
    expect(await vigil.ping('job')).toBe(false);
    expect(await vigil.monitor('job', () => 'still runs')).toBe('still runs');
    expect(logger.lines[0]).toMatch(
      /^vigil: ping job \(success\) failed: POST \/ping\/pk\/job: .*\(2 tries\)$/,
    );
    expect(logger.lines).toHaveLength(3);
  });

  it('throws a VigilError when strict', async () => {
    const { vigil, logger } = await unreachable(true);
    await expect(vigil.ping('job')).rejects.toBeInstanceOf(VigilError);
    await expect(vigil.monitor('job', () => 'never runs')).rejects.toThrow(/2 tries/);
    expect(logger.lines).toEqual([]);
  });
});
