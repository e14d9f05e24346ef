import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type GotifyConfig, gotify, gotifyConfigSchema } from '../../src/notifiers/gotify.ts';
import { createHttpClient } from '../../src/notifiers/http.ts';
import type { AlertPayload, SendContext } from '../../src/notifiers/notifier.ts';
import { samplePayload } from './payloads.ts';
import { type Handler, type ReceivedRequest, type Receiver, reply, startReceiver } from './receiver.ts';

const APP_TOKEN = 'AWH4mXmQ.2kZ-Qx';
const CHECK_URL = 'https://vigil.example.com/checks/5f0c8a8e-2d1b-4f3e-9a77-0c4b7d9e1a23';
const ctx: SendContext = { http: createHttpClient({ allowPrivateAddresses: true, timeoutMs: 500 }) };

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

/** A stand-in for a Gotify server behind `prefix`: its app-token check, message model and errors. */
async function gotifyServer(answer?: Handler, prefix = ''): Promise<Receiver> {
  let n = 0;
  const r = await startReceiver(async (req, res) => {
    if (req.method !== 'POST' || req.url !== `${prefix}/message`)
      return gotifyError(res, 404, 'page not found');
    if (req.headers['x-gotify-key'] !== APP_TOKEN)
      return gotifyError(
        res,
        401,
        'you need to provide a valid access token or user credentials to access this api',
      );
    const problem = messageProblem(req);
    if (problem !== undefined) return gotifyError(res, 400, problem);
    if (answer) return answer(req, res);
    const body = JSON.parse(req.body.toString('utf8'));
    return reply(res, 200, { id: ++n, appid: 3, ...body, date: '2026-03-01T10:05:01Z' });
  });
  receivers.push(r);
  return r;
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found' };

function gotifyError(res: ServerResponse, status: number, description: string) {
  reply(res, status, { error: STATUS_TEXT[status], errorCode: status, errorDescription: description });
}

/** The MessageExternal model of gotify/server (model/message.go) and the extras the clients read. */
function messageProblem(req: ReceivedRequest): string | undefined {
  if (!String(req.headers['content-type']).startsWith('application/json'))
    return 'extras are only accepted with application/json';
  const body = JSON.parse(req.body.toString('utf8'));
  if (typeof body.message !== 'string' || body.message === '') return "Field 'message' is required";
  if (body.title !== undefined && typeof body.title !== 'string') return "Field 'title' must be a string";
  if (body.priority !== undefined && !Number.isInteger(body.priority))
    return "Field 'priority' must be an integer";
  const display = body.extras?.['client::display'];
  if (display !== undefined && !['text/plain', 'text/markdown'].includes(display.contentType))
    return 'client::display contentType must be text/plain or text/markdown';
  const click = body.extras?.['client::notification']?.click;
  if (click !== undefined && typeof click.url !== 'string') return 'client::notification click needs a url';
  return undefined;
}

function config(input: Record<string, unknown>): GotifyConfig {
  return gotifyConfigSchema.parse({ app_token: APP_TOKEN, ...input });
}

async function sendTo(r: Receiver, payload: AlertPayload) {
  const result = await gotify.send(payload, config({ server_url: r.url }), ctx);
  return { result, body: JSON.parse(r.requests.at(-1)!.body.toString('utf8')) };
}

describe('gotify.send', () => {
  it('pushes a down alert as Markdown with the ping body in a code block, opening the check on tap', async () => {
    const r = await gotifyServer();
    const { result, body } = await sendTo(r, samplePayload('failed'));
    expect(result).toEqual({ outcome: 'delivered', detail: 'message 1' });
    expect(body).toEqual({
      title: '"nightly-backup" is DOWN: run failed',
      message: [
        'expected a ping every 1 hour; last ping 1 hour 5 minutes ago',
        '',
        '- **Project:** ops',
        '- **Severity:** critical',
        '- **Schedule:** every 1 hour',
        '- **Last ping:** 1 hour 5 minutes ago',
        '',
        '**Last ping body (tail):**',
        '',
        '```',
        'pg_dump: error: connection to server failed <&> "quoted"',
        '```',
        '',
        `[Open the check in vigil](${CHECK_URL})`,
      ].join('\n'),
      priority: 8,
      extras: {
        'client::display': { contentType: 'text/markdown' },
        'client::notification': { click: { url: CHECK_URL } },
      },
    });
  });

  it('escapes Markdown in names and fences a body that contains backticks', async () => {
    const r = await gotifyServer();
    const p = samplePayload('down', { last_ping_body: 'done\n```\n# not a heading' });
    p.project.name = '*ops* [x](https://evil.example)';
    const { body } = await sendTo(r, p);
    expect(body.message).toContain('- **Project:** \\*ops\\* \\[x\\]\\(https://evil\\.example\\)');
    expect(body.message).toContain('````\ndone\n```\n# not a heading\n````');
  });

  it.each([
    ['down', 'critical', 8],
    ['down', 'important', 6],
    ['too_long', 'low', 3],
    ['late', 'critical', 5],
    ['late', 'low', 2],
    ['up', 'important', 4],
    ['up', 'low', 2],
  ] as const)('sends a %s alert of a %s check at priority %i', async (kind, severity, priority) => {
    const r = await gotifyServer();
    const p = samplePayload(kind);
    p.check.severity = severity;
    expect((await sendTo(r, p)).body.priority).toBe(priority);
  });

  it('says how long the check was down when it recovers', async () => {
    const r = await gotifyServer();
    const { body } = await sendTo(r, samplePayload('up'));
    expect(body.title).toBe('"nightly-backup" is back UP');
    expect(body.message).toContain('- **Down for:** 1 hour 5 minutes');
  });

  it('numbers reminders', async () => {
    const r = await gotifyServer();
    const { body } = await sendTo(r, samplePayload('down', { reminder: 3 }));
    expect(body.title).toBe('Reminder #3: "nightly-backup" is still DOWN');
    expect(body.message).toContain('- **Down since:** 2026\\-03\\-01T10:05:00\\.000Z');
  });

  it('reaches a server under a path prefix', async () => {
    const r = await gotifyServer(undefined, '/gotify');
    const result = await gotify.send(samplePayload('down'), config({ server_url: `${r.url}/gotify/` }), ctx);
    expect(result.outcome).toBe('delivered');
  });

  it('fails permanently on a wrong token, with what Gotify said', async () => {
    const r = await gotifyServer();
    const result = await gotify.send(
      samplePayload('down'),
      config({ server_url: r.url, app_token: 'Cq0aXz1.notmine' }),
      ctx,
    );
    expect(result).toEqual({
      outcome: 'failed',
      error:
        'Gotify: Unauthorized: you need to provide a valid access token or user credentials to access this api (check app_token: it must be an application token)',
    });
  });

  it('retries when a proxy in front answers 429 or 503', async () => {
    const r = await gotifyServer((_req, res) => res.writeHead(429, { 'retry-after': '3' }).end());
    expect((await sendTo(r, samplePayload('down'))).result).toEqual({
      outcome: 'retry',
      error: 'HTTP 429 (empty body)',
      retryAfterMs: 3000,
    });
    const down = await gotifyServer((_req, res) => res.writeHead(503).end('maintenance'));
    expect((await sendTo(down, samplePayload('down'))).result).toEqual({
      outcome: 'retry',
      error: 'HTTP 503: maintenance',
    });
  });
});

describe('gotifyConfigSchema', () => {
  it('needs the server URL, dropping a trailing slash', () => {
    expect(config({ server_url: 'https://push.example.com/' })).toEqual({
      server_url: 'https://push.example.com',
      app_token: APP_TOKEN,
    });
    expect(gotifyConfigSchema.safeParse({ app_token: APP_TOKEN }).success).toBe(false);
  });

  it.each([
    ['a non-http server_url', { server_url: 'push.example.com' }, 'URL'],
    ['a server_url with credentials', { server_url: 'https://u:p@push.example.com' }, 'credentials'],
    ['a masked token', { server_url: 'https://push.example.com', app_token: '••••' }, 'looks masked'],
    ['an unknown key', { server_url: 'https://push.example.com', priority: 5 }, ''],
  ])('rejects %s', (_what, input, message) => {
    const result = gotifyConfigSchema.safeParse({ app_token: APP_TOKEN, ...input });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message).join('\n')).toContain(message);
  });

  it('masks the app token', () => {
    expect(gotify.secretFields).toEqual(['app_token']);
  });
});
