import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/notifiers/http.ts';
import { type MatrixConfig, matrix, matrixConfigSchema } from '../../src/notifiers/matrix.ts';
import type { SendContext } from '../../src/notifiers/notifier.ts';
import { samplePayload } from './payloads.ts';
import {
  closedPortUrl,
  type Handler,
  type ReceivedRequest,
  type Receiver,
  startReceiver,
} from './receiver.ts';

const TOKEN = 'syt_dmlnaWw_abcdefghijklmnop_0a1b2c';
const ROOM = '!ops-alerts:example.org';

const ctx: SendContext = { http: createHttpClient({ allowPrivateAddresses: true, timeoutMs: 300 }) };

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

/** A homeserver that checks the request the way Synapse would, then answers as told. */
function homeserver(answer: Handler = (_req, res) => res.end('{"event_id":"$ev1"}')): Handler {
  return (req, res) => {
    const path = /^\/_matrix\/client\/v3\/rooms\/([^/]+)\/send\/m\.room\.message\/([^/]+)$/.exec(req.url);
    const content = parseJson(req.body) as Record<string, unknown> | undefined;
    const problem =
      req.method !== 'PUT'
        ? 'method must be PUT'
        : path === null
          ? `unknown path ${req.url}`
          : decodeURIComponent(path[1]!) !== ROOM
            ? 'wrong room'
            : req.headers.authorization !== `Bearer ${TOKEN}`
              ? 'wrong token'
              : req.headers['content-type'] !== 'application/json'
                ? 'content type must be JSON'
                : content?.msgtype !== 'm.text' ||
                    typeof content.body !== 'string' ||
                    content.format !== 'org.matrix.custom.html' ||
                    typeof content.formatted_body !== 'string'
                  ? 'bad content'
                  : undefined;
    if (problem !== undefined) {
      return res.writeHead(400).end(JSON.stringify({ errcode: 'M_BAD_JSON', error: problem }));
    }
    return answer(req, res);
  };
}

async function receiver(handler: Handler = homeserver()): Promise<Receiver> {
  const r = await startReceiver(handler);
  receivers.push(r);
  return r;
}

function config(homeserverUrl: string, extra: Record<string, unknown> = {}): MatrixConfig {
  return matrixConfigSchema.parse({
    homeserver: homeserverUrl,
    access_token: TOKEN,
    room_id: ROOM,
    ...extra,
  });
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function content(req: ReceivedRequest): { body: string; formatted_body: string } {
  return JSON.parse(req.body.toString('utf8'));
}

function txnId(req: ReceivedRequest): string {
  return decodeURIComponent(req.url.split('/').at(-1)!);
}

function answering(status: number, body: unknown, headers: Record<string, string> = {}): Handler {
  return homeserver((_req, res) =>
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body)),
  );
}

describe('matrix.send', () => {
  it('sends a down alert with its facts, the ping body tail and the link', async () => {
    const r = await receiver();
    const result = await matrix.send(samplePayload('failed'), config(r.url), ctx);
    expect(result).toEqual({ outcome: 'delivered', detail: 'event $ev1' });
    const { body, formatted_body } = content(r.requests[0]!);
    expect(body).toContain('"nightly-backup" is DOWN: run failed');
    expect(body).toContain('expected a ping every 1 hour; last ping 1 hour 5 minutes ago');
    for (const fact of [
      'Project: ops',
      'Severity: critical',
      'Schedule: every 1 hour',
      'Last ping: 1 hour 5 minutes ago',
    ]) {
      expect(body).toContain(fact);
    }
    expect(body).toContain('pg_dump: error: connection to server failed <&> "quoted"');
    expect(body).toContain('https://vigil.example.com/checks/5f0c8a8e-2d1b-4f3e-9a77-0c4b7d9e1a23');
    expect(formatted_body).toContain('<strong>Severity:</strong> critical');
    expect(formatted_body).toContain(
      '<pre><code>pg_dump: error: connection to server failed &lt;&amp;&gt; &quot;quoted&quot;</code></pre>',
    );
    expect(formatted_body).toContain(
      '<a href="https://vigil.example.com/checks/5f0c8a8e-2d1b-4f3e-9a77-0c4b7d9e1a23">',
    );
  });

  it('says how long the check was down when it recovers', async () => {
    const r = await receiver();
    await matrix.send(samplePayload('up'), config(r.url), ctx);
    const { body, formatted_body } = content(r.requests[0]!);
    expect(body).toContain('"nightly-backup" is back UP');
    expect(body).toContain('Down for: 1 hour 5 minutes');
    expect(formatted_body).toContain('<strong>Down for:</strong> 1 hour 5 minutes');
    expect(formatted_body).toContain('color="#2ea043"');
  });

  it('escapes HTML from check names and reasons in the formatted body', async () => {
    const r = await receiver();
    const p = samplePayload('down');
    const payload = { ...p, check: { ...p.check, name: '<img src=x onerror=alert(1)> & co' } };
    await matrix.send(payload, config(r.url), ctx);
    const { body, formatted_body } = content(r.requests[0]!);
    expect(formatted_body).not.toContain('<img');
    expect(formatted_body).toContain('&quot;&lt;img src=x onerror=alert(1)&gt; &amp; co&quot; is DOWN');
    expect(body).toContain('"<img src=x onerror=alert(1)> & co" is DOWN');
  });

  it('uses the same transaction id for a retry of one delivery, and another for the next delivery', async () => {
    const r = await receiver();
    const payload = samplePayload('down');
    await matrix.send(payload, config(r.url), { ...ctx, deliveryId: '1234' });
    await matrix.send(payload, config(r.url), { ...ctx, deliveryId: '1234' });
    await matrix.send(payload, config(r.url), { ...ctx, deliveryId: '1235' });
    const [first, retry, next] = r.requests.map(txnId);
    expect(first).toBe(`vigil.${payload.check.id}.1234`);
    expect(retry).toBe(first);
    expect(next).toBe(`vigil.${payload.check.id}.1235`);
  });

  it('uses a fresh transaction id for each send without a delivery id', async () => {
    const r = await receiver();
    await matrix.send(samplePayload('down'), config(r.url), ctx);
    await matrix.send(samplePayload('down'), config(r.url), ctx);
    expect(txnId(r.requests[0]!)).not.toBe(txnId(r.requests[1]!));
  });

  it('encodes the room id in the path', async () => {
    const r = await receiver();
    await matrix.send(samplePayload('down'), config(r.url), ctx);
    expect(r.requests[0]!.url).toContain('/rooms/!ops-alerts%3Aexample.org/send/');
  });

  it.each([
    [401, 'M_UNKNOWN_TOKEN', 'Invalid access token passed.', 'create a new one'],
    [403, 'M_FORBIDDEN', 'User @bot:example.org not in room', 'invite it'],
    [404, 'M_NOT_FOUND', 'Unknown room', 'check room_id'],
  ])('fails permanently on %i %s with the homeserver’s message', async (status, errcode, error, hint) => {
    const r = await receiver(answering(status, { errcode, error }));
    const result = await matrix.send(samplePayload('down'), config(r.url), ctx);
    expect(result).toMatchObject({ outcome: 'failed' });
    const message = (result as { error: string }).error;
    expect(message).toContain(`HTTP ${status} ${errcode}: ${error}`);
    expect(message).toContain(hint);
    expect(message).not.toContain(TOKEN);
  });

  it('waits as long as M_LIMIT_EXCEEDED says before retrying', async () => {
    const r = await receiver(
      answering(429, { errcode: 'M_LIMIT_EXCEEDED', error: 'Too Many Requests', retry_after_ms: 2500 }),
    );
    expect(await matrix.send(samplePayload('down'), config(r.url), ctx)).toEqual({
      outcome: 'retry',
      error: 'HTTP 429 M_LIMIT_EXCEEDED: Too Many Requests',
      retryAfterMs: 2500,
    });
  });

  it('prefers the Retry-After header over retry_after_ms', async () => {
    const r = await receiver(
      answering(
        429,
        { errcode: 'M_LIMIT_EXCEEDED', error: 'slow down', retry_after_ms: 2500 },
        { 'retry-after': '4' },
      ),
    );
    expect(await matrix.send(samplePayload('down'), config(r.url), ctx)).toMatchObject({
      retryAfterMs: 4000,
    });
  });

  it('retries when the homeserver fails with 500, with or without a Matrix error body', async () => {
    const json = await receiver(answering(500, { errcode: 'M_UNKNOWN', error: 'Internal server error' }));
    expect(await matrix.send(samplePayload('down'), config(json.url), ctx)).toEqual({
      outcome: 'retry',
      error: 'HTTP 500 M_UNKNOWN: Internal server error',
    });
    const html = await receiver(
      homeserver((_req, res) => res.writeHead(502).end('<html>Bad Gateway</html>')),
    );
    expect(await matrix.send(samplePayload('down'), config(html.url), ctx)).toEqual({
      outcome: 'retry',
      error: 'HTTP 502: <html>Bad Gateway</html>',
    });
  });

  it('retries when the homeserver cannot be reached', async () => {
    const result = await matrix.send(samplePayload('down'), config(await closedPortUrl()), ctx);
    expect(result).toMatchObject({ outcome: 'retry', error: expect.stringContaining('ECONNREFUSED') });
  });
});

describe('matrixConfigSchema', () => {
  it('defaults the homeserver to matrix.org', () => {
    expect(matrixConfigSchema.parse({ access_token: TOKEN, room_id: ROOM })).toEqual({
      homeserver: 'https://matrix.org',
      access_token: TOKEN,
      room_id: ROOM,
    });
  });

  it('drops a trailing slash from the homeserver', () => {
    expect(config('https://matrix.example.org/').homeserver).toBe('https://matrix.example.org');
  });

  it('accepts a room id without a server part (room version 12)', () => {
    const id = '!31hneApxJ_1o-63DmFrpeqnkFfWppnzWso1JvH3ogLM';
    expect(matrixConfigSchema.parse({ access_token: TOKEN, room_id: id }).room_id).toBe(id);
  });

  it('refuses a room alias, saying where to find the id', () => {
    const result = matrixConfigSchema.safeParse({ access_token: TOKEN, room_id: '#ops:example.org' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain('not an alias');
  });

  it.each([
    ['a room id without "!"', { access_token: TOKEN, room_id: 'ops:example.org' }],
    ['a room id with a space', { access_token: TOKEN, room_id: '!ops alerts:example.org' }],
    ['a missing token', { room_id: ROOM }],
    ['a masked token', { access_token: '••••2c', room_id: ROOM }],
    [
      'a homeserver that is not http(s)',
      { homeserver: 'ftp://matrix.org', access_token: TOKEN, room_id: ROOM },
    ],
    ['an unknown key', { access_token: TOKEN, room_id: ROOM, user_id: '@bot:example.org' }],
  ])('rejects %s', (_what, input) => {
    expect(matrixConfigSchema.safeParse(input).success).toBe(false);
  });

  it('marks the access token as a secret', () => {
    expect(matrix.secretFields).toEqual(['access_token']);
  });
});
