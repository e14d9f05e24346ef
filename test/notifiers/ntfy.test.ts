import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/notifiers/http.ts';
import type { AlertPayload, SendContext } from '../../src/notifiers/notifier.ts';
import { MESSAGE_BYTES, type NtfyConfig, ntfy, ntfyConfigSchema } from '../../src/notifiers/ntfy.ts';
import { samplePayload } from './payloads.ts';
import { type Handler, type ReceivedRequest, type Receiver, reply, startReceiver } from './receiver.ts';

const CHECK_URL = 'https://vigil.example.com/checks/5f0c8a8e-2d1b-4f3e-9a77-0c4b7d9e1a23';
const ctx: SendContext = { http: createHttpClient({ allowPrivateAddresses: true, timeoutMs: 500 }) };

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

interface ServerOptions {
  /** the Authorization header the topic requires; none when open */
  authorization?: string;
  answer?: Handler;
}

/** A stand-in for an ntfy server: the checks of its JSON publishing endpoint, errors in its format. */
async function ntfyServer({ authorization, answer }: ServerOptions = {}): Promise<Receiver> {
  let n = 0;
  const r = await startReceiver(async (req, res) => {
    if (authorization !== undefined && req.headers.authorization !== authorization)
      return ntfyError(res, 40101, 'unauthorized');
    const problem = publishProblem(req);
    if (problem !== undefined) return ntfyError(res, problem[0], problem[1]);
    if (answer) return answer(req, res);
    const body = JSON.parse(req.body.toString('utf8'));
    return reply(res, 200, {
      id: `msg${++n}`,
      time: 1,
      event: 'message',
      topic: body.topic,
      message: body.message,
    });
  });
  receivers.push(r);
  return r;
}

function ntfyError(res: ServerResponse, code: number, error: string, headers: Record<string, string> = {}) {
  const http = Math.floor(code / 100);
  reply(res, http, { code, http, error, link: 'https://ntfy.sh/docs/publish/' }, headers);
}

/** docs.ntfy.sh/publish/#publish-as-json, with the server's limits; [code, error] when refused. */
function publishProblem(req: ReceivedRequest): [number, string] | undefined {
  if (req.method !== 'POST' && req.method !== 'PUT') return [40401, 'page not found'];
  // JSON goes to the root URL; POSTed to /<topic>, the JSON would be published as the text
  if (req.url !== '/') return [40017, 'invalid request: request body must be message JSON'];
  const body = JSON.parse(req.body.toString('utf8'));
  if (typeof body.topic !== 'string' || !/^[-_A-Za-z0-9]{1,64}$/.test(body.topic))
    return [40009, 'invalid request: topic invalid'];
  if (typeof body.message !== 'string' || Buffer.byteLength(body.message) > 4096)
    return [40014, 'invalid request: attachments not allowed'];
  if (typeof body.title !== 'string') return [40024, 'invalid request: request body must be valid JSON'];
  if (![1, 2, 3, 4, 5].includes(body.priority)) return [40007, 'invalid priority parameter'];
  if (!Array.isArray(body.tags) || !body.tags.every((t: unknown) => typeof t === 'string'))
    return [40024, 'invalid request: request body must be valid JSON'];
  if (typeof body.click !== 'string' || !/^https?:\/\//.test(body.click))
    return [40024, 'click must be a URL'];
  const actions = body.actions ?? [];
  if (
    actions.length > 3 ||
    actions.some(
      (a: { action?: string; label?: string; url?: string }) => a.action !== 'view' || !a.label || !a.url,
    )
  )
    return [40018, 'invalid request: actions invalid'];
  return undefined;
}

function config(input: Record<string, unknown>): NtfyConfig {
  return ntfyConfigSchema.parse({ topic: 'vigil-alerts', ...input });
}

async function sendTo(r: Receiver, payload: AlertPayload, input: Record<string, unknown> = {}) {
  const result = await ntfy.send(payload, config({ server_url: r.url, ...input }), ctx);
  return { result, body: JSON.parse(r.requests.at(-1)!.body.toString('utf8')) };
}

describe('ntfy.send', () => {
  it('publishes a down alert as JSON to the root URL: title, facts, ping body, priority and link', async () => {
    const r = await ntfyServer();
    const { result, body } = await sendTo(r, samplePayload('failed'));
    expect(result).toEqual({ outcome: 'delivered', detail: 'message msg1' });
    expect(r.requests[0]).toMatchObject({ method: 'POST', url: '/' });
    expect(body).toEqual({
      topic: 'vigil-alerts',
      title: '"nightly-backup" is DOWN: run failed',
      message: [
        'expected a ping every 1 hour; last ping 1 hour 5 minutes ago',
        '',
        'Project: ops',
        'Severity: critical',
        'Schedule: every 1 hour',
        'Last ping: 1 hour 5 minutes ago',
        '',
        'Last ping body (tail):',
        'pg_dump: error: connection to server failed <&> "quoted"',
      ].join('\n'),
      priority: 5,
      tags: ['rotating_light'],
      click: CHECK_URL,
      actions: [{ action: 'view', label: 'Open check', url: CHECK_URL, clear: true }],
    });
  });

  it.each([
    ['down', 'critical', 5, 'rotating_light'],
    ['down', 'important', 4, 'rotating_light'],
    ['too_long', 'low', 3, 'rotating_light'],
    ['late', 'critical', 3, 'warning'],
    ['up', 'critical', 3, 'white_check_mark'],
  ] as const)(
    'sends a %s alert of a %s check at priority %i with tag %s',
    async (kind, severity, priority, tag) => {
      const r = await ntfyServer();
      const p = samplePayload(kind);
      p.check.severity = severity;
      const { body } = await sendTo(r, p);
      expect(body.priority).toBe(priority);
      expect(body.tags).toEqual([tag]);
    },
  );

  it('says how long the check was down when it recovers', async () => {
    const r = await ntfyServer();
    const { body } = await sendTo(r, samplePayload('up'));
    expect(body.title).toBe('"nightly-backup" is back UP');
    expect(body.message).toContain('Down for: 1 hour 5 minutes');
  });

  it('numbers reminders', async () => {
    const r = await ntfyServer();
    const { body } = await sendTo(r, samplePayload('down', { reminder: 4 }));
    expect(body.title).toBe('Reminder #4: "nightly-backup" is still DOWN');
    expect(body.message).toContain('Down since: 2026-03-01T10:05:00.000Z');
  });

  it('sends an access token as a Bearer token', async () => {
    const r = await ntfyServer({ authorization: 'Bearer tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2' });
    const { result } = await sendTo(r, samplePayload('down'), { token: 'tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2' });
    expect(result.outcome).toBe('delivered');
  });

  it('sends a username and password as Basic auth, UTF-8 encoded', async () => {
    const expected = `Basic ${Buffer.from('phil:pässwörd', 'utf8').toString('base64')}`;
    const r = await ntfyServer({ authorization: expected });
    const { result } = await sendTo(r, samplePayload('down'), { username: 'phil', password: 'pässwörd' });
    expect(result.outcome).toBe('delivered');
  });

  it('fails permanently when the server refuses the credentials, saying what to check', async () => {
    const r = await ntfyServer({ authorization: 'Bearer tk_right' });
    const { result } = await sendTo(r, samplePayload('down'), { token: 'tk_wrong' });
    expect(result).toEqual({
      outcome: 'failed',
      error: 'ntfy: unauthorized (code 40101): check token, or username and password',
    });
  });

  it('fails permanently on 403 (no write access to the topic)', async () => {
    const r = await ntfyServer({ answer: (_req, res) => ntfyError(res, 40301, 'forbidden') });
    expect((await sendTo(r, samplePayload('down'))).result).toMatchObject({
      outcome: 'failed',
      error: expect.stringMatching(/^ntfy: forbidden \(code 40301\)/),
    });
  });

  it('retries on 429, after the Retry-After when there is one', async () => {
    const r = await ntfyServer({
      answer: (_req, res) =>
        ntfyError(res, 42901, 'limit reached: too many requests, please be nice', { 'retry-after': '20' }),
    });
    expect((await sendTo(r, samplePayload('down'))).result).toEqual({
      outcome: 'retry',
      error: 'ntfy: limit reached: too many requests, please be nice (code 42901)',
      retryAfterMs: 20_000,
    });
  });

  it('retries on 500', async () => {
    const r = await ntfyServer({ answer: (_req, res) => ntfyError(res, 50001, 'internal server error') });
    expect((await sendTo(r, samplePayload('down'))).result).toEqual({
      outcome: 'retry',
      error: 'ntfy: internal server error (code 50001)',
    });
  });

  it('keeps the message within 4096 UTF-8 bytes without splitting a character', async () => {
    const r = await ntfyServer();
    const p = samplePayload('failed', { last_ping_body: `${'€😀'.repeat(3000)}END` });
    p.flip.reason = 'ü'.repeat(5000);
    p.project.name = '漢'.repeat(2000);
    const { result, body } = await sendTo(r, p);
    expect(result.outcome).toBe('delivered'); // the stand-in refuses more than 4096 bytes
    expect(Buffer.byteLength(body.message)).toBeLessThanOrEqual(MESSAGE_BYTES);
    expect(body.message).not.toContain('\uFFFD');
    expect(body.message).toMatch(/Last ping body \(tail\):\n…[€😀]+END$/u);
  });
});

describe('ntfyConfigSchema', () => {
  it('defaults server_url to ntfy.sh and needs no credentials', () => {
    expect(config({})).toEqual({ topic: 'vigil-alerts', server_url: 'https://ntfy.sh' });
  });

  it('takes a self-hosted server, dropping a trailing slash', () => {
    expect(config({ server_url: 'https://ntfy.example.com/' }).server_url).toBe('https://ntfy.example.com');
  });

  it.each([
    ['a topic with a slash', { topic: 'alerts/prod' }, 'ntfy topic rules'],
    ['a topic with a space', { topic: 'my alerts' }, 'ntfy topic rules'],
    ['a topic over 64 characters', { topic: 't'.repeat(65) }, 'ntfy topic rules'],
    ['an empty topic', { topic: '' }, 'ntfy topic rules'],
    ['a non-http server_url', { server_url: 'ntfy.sh' }, 'URL'],
    ['a masked token', { token: '••••Nz2' }, 'looks masked'],
    ['a token and a password', { token: 'tk_x', username: 'u', password: 'p' }, 'either token or username'],
    ['a username without a password', { username: 'phil' }, 'go together'],
    ['a username with a colon', { username: 'ph:il', password: 'p' }, 'must not contain ":"'],
    ['an unknown key', { priority: 5 }, ''],
  ])('rejects %s', (_what, input, message) => {
    const result = ntfyConfigSchema.safeParse({ topic: 'vigil-alerts', ...input });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message).join('\n')).toContain(message);
  });

  it('masks the token and the password', () => {
    expect(ntfy.secretFields).toEqual(['token', 'password']);
  });
});
