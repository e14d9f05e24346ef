import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeMailTransports,
  type EmailConfig,
  email,
  emailConfigSchema,
  SMTP_NOT_CONFIGURED,
} from '../../src/notifiers/email.ts';
import { createHttpClient } from '../../src/notifiers/http.ts';
import { describeAlert, plainText } from '../../src/notifiers/message.ts';
import type { AlertPayload, SendContext, SendResult, SmtpSettings } from '../../src/notifiers/notifier.ts';
import { samplePayload } from './payloads.ts';
import { closedPortUrl } from './receiver.ts';
import {
  type MimePart,
  parseMime,
  type SmtpReceiver,
  smtpError,
  startSmtpReceiver,
} from './smtp-receiver.ts';

const http = createHttpClient();
const PASSWORD = 'correct horse battery staple';

const servers: SmtpReceiver[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  closeMailTransports();
  await Promise.all([...servers.splice(0).map((s) => s.close()), ...cleanups.splice(0).map((c) => c())]);
});

async function smtpServer(options: Parameters<typeof startSmtpReceiver>[0] = {}): Promise<SmtpReceiver> {
  const server = await startSmtpReceiver(options);
  servers.push(server);
  return server;
}

function settings(port: number, extra: Partial<SmtpSettings> = {}): SmtpSettings {
  return {
    host: '127.0.0.1',
    port,
    secure: false,
    requireTls: false,
    rejectUnauthorized: true,
    from: 'vigil@example.com',
    timeoutMs: 2000,
    ...extra,
  };
}

function config(input: Record<string, unknown> = {}): EmailConfig {
  return emailConfigSchema.parse({ to: 'ops@example.org', ...input });
}

async function send(
  server: SmtpReceiver,
  payload: AlertPayload = samplePayload('failed'),
  cfg: EmailConfig = config(),
  ctx: Partial<SendContext> = {},
): Promise<SendResult> {
  return email.send(payload, cfg, { http, smtp: settings(server.port), deliveryId: '77', ...ctx });
}

function part(message: MimePart, type: string): MimePart {
  const found = message.parts.find((p) => p.headers.get('content-type')?.startsWith(type));
  if (found === undefined) throw new Error(`no ${type} part`);
  return found;
}

describe('email.send', () => {
  it('sends a multipart message with the alert as text and as HTML', async () => {
    const server = await smtpServer();
    const payload = samplePayload('failed');
    const result = await send(server, payload);
    expect(result).toMatchObject({ outcome: 'delivered', detail: expect.stringContaining('250') });

    const mail = server.mails[0]!;
    expect(mail).toMatchObject({ from: 'vigil@example.com', to: ['ops@example.org'] });
    const message = parseMime(mail.raw);
    expect(message.headers.get('from')).toBe('vigil@example.com');
    expect(message.headers.get('to')).toBe('ops@example.org');
    expect(message.headers.get('subject')).toBe('"nightly-backup" is DOWN: run failed');
    expect(message.headers.get('x-vigil-event')).toBe('failed');
    expect(message.headers.get('x-vigil-check')).toBe(payload.check.id);
    expect(message.headers.get('content-type')).toMatch(/^multipart\/alternative;/);

    const text = part(message, 'text/plain').body;
    expect(text.replace(/\r\n/g, '\n')).toBe(plainText(describeAlert(payload)));

    const html = part(message, 'text/html').body;
    expect(html).toContain('"nightly-backup" is DOWN: run failed'.replace(/"/g, '&quot;'));
    expect(html).toContain('expected a ping every 1 hour; last ping 1 hour 5 minutes ago');
    for (const [label, value] of [
      ['Project', 'ops'],
      ['Severity', 'critical'],
      ['Schedule', 'every 1 hour'],
      ['Last ping', '1 hour 5 minutes ago'],
    ]) {
      expect(html).toMatch(new RegExp(`>${label}</td>\\s*<td[^>]*>${value}</td>`));
    }
    expect(html).toMatch(
      /<pre[^>]*>pg_dump: error: connection to server failed &lt;&amp;&gt; &quot;quoted&quot;<\/pre>/,
    );
    expect(html).toContain(`<a href="${payload.check.url}"`);
    expect(html).toContain('border-top:6px solid #d93f0b');
  });

  it('says how long the check was down when it recovers, in both parts and in green', async () => {
    const server = await smtpServer();
    await send(server, samplePayload('up'));
    const message = parseMime(server.mails[0]!.raw);
    expect(message.headers.get('subject')).toBe('"nightly-backup" is back UP');
    expect(part(message, 'text/plain').body).toContain('Down for: 1 hour 5 minutes');
    expect(part(message, 'text/html').body).toMatch(/>Down for<\/td>\s*<td[^>]*>1 hour 5 minutes<\/td>/);
    expect(part(message, 'text/html').body).toContain('#2ea043');
  });

  it('escapes HTML in check names and ping bodies', async () => {
    const server = await smtpServer();
    const p = samplePayload('failed', { last_ping_body: '</pre><script>alert(1)</script>' });
    await send(server, { ...p, check: { ...p.check, name: '<b>bold</b>' } });
    const message = parseMime(server.mails[0]!.raw);
    const html = part(message, 'text/html').body;
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>bold</b>');
    expect(html).toContain('&lt;b&gt;bold&lt;/b&gt;');
    expect(html).toContain('&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(message.headers.get('subject')).toBe('"<b>bold</b>" is DOWN: run failed');
  });

  it('gives a re-send of one delivery the same Message-ID, and the next delivery another', async () => {
    const server = await smtpServer();
    const payload = samplePayload('down');
    await send(server, payload, config(), { deliveryId: '77' });
    await send(server, payload, config(), { deliveryId: '77' });
    await send(server, payload, config(), { deliveryId: '78' });
    const ids = server.mails.map((m) => parseMime(m.raw).headers.get('message-id'));
    expect(ids[0]).toBe(`<vigil.${payload.check.id}.77@example.com>`);
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).toBe(`<vigil.${payload.check.id}.78@example.com>`);
  });

  it('threads the alerts of one down period together', async () => {
    const server = await smtpServer();
    const down = samplePayload('down');
    const downAt = Date.parse(down.flip.at);
    const upAt = downAt + 3_900_000;
    await send(server, down);
    await send(server, samplePayload('down', { reminder: 1 }));
    await send(
      server,
      samplePayload('up', { flip: { ...down.flip, to: 'up', at: new Date(upAt).toISOString() } }),
    );
    const references = server.mails.map((m) => parseMime(m.raw).headers.get('references'));
    expect(references[0]).toBe(`<vigil.${down.check.id}.down.${downAt}@example.com>`);
    expect(references).toEqual([references[0], references[0], references[0]]);
    expect(parseMime(server.mails[2]!.raw).headers.get('in-reply-to')).toBe(references[0]);
  });

  it('uses the channel’s sender, subject prefix and recipients', async () => {
    const server = await smtpServer();
    const cfg = config({
      to: ['a@example.org', 'b@example.org'],
      from: 'alerts@ops.example',
      subject_prefix: '[prod]',
    });
    await send(server, samplePayload('down'), cfg);
    const mail = server.mails[0]!;
    expect(mail).toMatchObject({ from: 'alerts@ops.example', to: ['a@example.org', 'b@example.org'] });
    const headers = parseMime(mail.raw).headers;
    expect(headers.get('subject')).toBe('[prod] "nightly-backup" is DOWN');
    expect(headers.get('to')).toBe('a@example.org, b@example.org');
  });

  it('logs in with the configured user and password', async () => {
    const server = await smtpServer({
      authOptional: false,
      onAuth(auth, _session, callback) {
        if (auth.username === 'vigil' && auth.password === PASSWORD) return callback(null, { user: 'vigil' });
        return callback(smtpError(535, 'Authentication credentials invalid'));
      },
    });
    const ok = await send(server, undefined, undefined, {
      smtp: settings(server.port, { user: 'vigil', password: PASSWORD }),
    });
    expect(ok).toMatchObject({ outcome: 'delivered' });
    expect(server.mails[0]!.user).toBe('vigil');

    const wrong = 'wrong horse battery staple';
    const refused = await send(server, undefined, undefined, {
      smtp: settings(server.port, { user: 'vigil', password: wrong }),
    });
    expect(refused).toMatchObject({ outcome: 'failed' });
    const error = (refused as { error: string }).error;
    expect(error).toContain('535');
    expect(error).toContain('VIGIL_SMTP_PASSWORD');
    expect(error).not.toContain(wrong);
    expect(server.mails).toHaveLength(1);
  });

  it('retries when the server defers a recipient with 451', async () => {
    const server = await smtpServer({
      onRcptTo: (_address, _session, callback) =>
        callback(smtpError(451, 'Greylisted, try again in 5 minutes')),
    });
    const result = await send(server);
    expect(result).toMatchObject({ outcome: 'retry', error: expect.stringContaining('451 Greylisted') });
    expect(server.mails).toHaveLength(0);
  });

  it('fails permanently when the server refuses the mailbox with 550, with its message', async () => {
    const server = await smtpServer({
      onRcptTo: (_address, _session, callback) => callback(smtpError(550, 'Mailbox unavailable')),
    });
    expect(await send(server)).toEqual({
      outcome: 'failed',
      error: `the SMTP server 127.0.0.1:${server.port} answered 550 Mailbox unavailable`,
    });
  });

  it('fails naming the address when the server refuses one of two recipients', async () => {
    const server = await smtpServer({
      onRcptTo: (address, _session, callback) =>
        address.address === 'gone@example.org' ? callback(smtpError(550, 'No such user')) : callback(),
    });
    const result = await send(server, undefined, config({ to: ['ops@example.org', 'gone@example.org'] }));
    expect(result).toMatchObject({
      outcome: 'failed',
      error: expect.stringContaining('refused gone@example.org'),
    });
    expect(server.mails[0]!.to).toEqual(['ops@example.org']);
  });

  it('retries when the server refuses the message with a 4xx after DATA', async () => {
    const server = await smtpServer({
      onData(stream, _session, callback) {
        stream.resume();
        stream.on('end', () => callback(smtpError(452, 'Insufficient system storage')));
      },
    });
    expect(await send(server)).toMatchObject({ outcome: 'retry', error: expect.stringContaining('452') });
  });

  it('retries when the connection is refused', async () => {
    const port = Number(new URL(await closedPortUrl()).port);
    const result = await email.send(samplePayload('down'), config(), { http, smtp: settings(port) });
    expect(result).toMatchObject({ outcome: 'retry', error: expect.stringContaining('ECONNREFUSED') });
  });

  it('retries when the server never greets', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const { port } = silent.address() as AddressInfo;
    const result = await email.send(samplePayload('down'), config(), {
      http,
      smtp: settings(port, { timeoutMs: 200 }),
    });
    expect(result).toMatchObject({ outcome: 'retry' });
  });

  it('fails with a clear message when SMTP is not configured', async () => {
    expect(await email.send(samplePayload('down'), config(), { http })).toEqual({
      outcome: 'failed',
      error: SMTP_NOT_CONFIGURED,
    });
    expect(SMTP_NOT_CONFIGURED).toContain('VIGIL_SMTP_HOST');
  });

  it('refuses to send in plain text when TLS is required and the server has no STARTTLS', async () => {
    const server = await smtpServer();
    const result = await send(server, undefined, undefined, {
      smtp: settings(server.port, { requireTls: true }),
    });
    expect(result).toMatchObject({ outcome: 'failed', error: expect.stringContaining('STARTTLS') });
    expect(server.mails).toHaveLength(0);
  });

  it('upgrades with STARTTLS when TLS is required and the server offers it', async () => {
    const server = await smtpServer({ disabledCommands: [] });
    const result = await send(server, undefined, undefined, {
      smtp: settings(server.port, { requireTls: true, rejectUnauthorized: false }),
    });
    expect(result).toMatchObject({ outcome: 'delivered' });
    expect(server.mails[0]!.secure).toBe(true);
  });

  it('speaks TLS from the first byte when the server is secure (port 465 style)', async () => {
    const server = await smtpServer({ secure: true, disabledCommands: [] });
    const result = await send(server, undefined, undefined, {
      smtp: settings(server.port, { secure: true, rejectUnauthorized: false }),
    });
    expect(result).toMatchObject({ outcome: 'delivered' });
    expect(server.mails[0]!.secure).toBe(true);
  });

  it('says a login is needed when the server answers 530', async () => {
    const server = await smtpServer({ authOptional: false });
    expect(await send(server)).toMatchObject({
      outcome: 'failed',
      error: expect.stringContaining('530 Error: authentication Required; it wants a login (VIGIL_SMTP_USER'),
    });
  });

  it('fails, saying what to change, when the server’s certificate is not trusted', async () => {
    const server = await smtpServer({ disabledCommands: [] });
    const result = await send(server, undefined, undefined, {
      smtp: settings(server.port, { requireTls: true }),
    });
    expect(result).toMatchObject({
      outcome: 'failed',
      error: expect.stringContaining('VIGIL_SMTP_TLS_REJECT_UNAUTHORIZED'),
    });
    expect(server.mails).toHaveLength(0);
  });
});

describe('emailConfigSchema', () => {
  it('stores a single address as a list', () => {
    expect(emailConfigSchema.parse({ to: 'ops@example.org' })).toEqual({ to: ['ops@example.org'] });
  });

  it('accepts what it stored', () => {
    const stored = config({
      to: ['a@example.org', 'b@example.org'],
      from: 'x@example.org',
      subject_prefix: '[vigil]',
    });
    expect(emailConfigSchema.parse(stored)).toEqual(stored);
  });

  it.each([
    ['no recipient', {}],
    ['an empty list', { to: [] }],
    ['something that is not an address', { to: 'ops' }],
    ['an address with a display name', { to: 'Ops <ops@example.org>' }],
    ['an address smuggling a header', { to: 'ops@example.org\r\nBcc: spy@example.net' }],
    ['an address listed twice', { to: ['ops@example.org', 'OPS@example.org'] }],
    ['eleven addresses', { to: Array.from({ length: 11 }, (_, i) => `ops${i}@example.org`) }],
    ['a bad sender', { to: 'ops@example.org', from: 'vigil' }],
    ['a subject prefix with a line break', { to: 'ops@example.org', subject_prefix: '[x]\r\nBcc: a@b.c' }],
    ['an unknown key', { to: 'ops@example.org', cc: 'boss@example.org' }],
  ])('rejects %s', (_what, input) => {
    expect(emailConfigSchema.safeParse(input).success).toBe(false);
  });
});
