import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient, HttpError, type HttpErrorKind } from '../../src/notifiers/http.ts';
import { closedPortUrl, type Receiver, startReceiver } from './receiver.ts';

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function receiver(handler?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const r = await startReceiver(handler);
  receivers.push(r);
  return r;
}

/** The HttpError a request fails with (the test fails if it succeeds or throws something else). */
async function failure(promise: Promise<unknown>): Promise<HttpError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HttpError);
  return err as HttpError;
}

const loopback = createHttpClient({ allowPrivateAddresses: true });

describe('createHttpClient', () => {
  it('returns the status, headers and body of the response', async () => {
    const r = await receiver((_req, res) => {
      res.writeHead(201, { 'x-answer': '42' }).end('created');
    });
    const res = await loopback.request(`${r.url}/hook`, { method: 'POST', body: 'hi' });
    expect(res).toMatchObject({ status: 201, text: 'created', truncated: false });
    expect(res.headers.get('x-answer')).toBe('42');
    expect(r.requests[0]).toMatchObject({ method: 'POST', url: '/hook' });
    expect(r.requests[0]!.body.toString()).toBe('hi');
  });

  it('sends its User-Agent unless the request sets one', async () => {
    const r = await receiver();
    const client = createHttpClient({ allowPrivateAddresses: true, userAgent: 'vigil-test' });
    await client.request(r.url);
    await client.request(r.url, { headers: { 'User-Agent': 'custom/2' } });
    expect(r.requests.map((req) => req.headers['user-agent'])).toEqual(['vigil-test', 'custom/2']);
  });

  it('follows a redirect, keeping method and body on a 307', async () => {
    const r = await receiver((req, res) => {
      if (req.url === '/old') res.writeHead(307, { location: '/new' }).end();
      else res.end(`${req.method} ${req.body.toString()}`);
    });
    const res = await loopback.request(`${r.url}/old`, { method: 'PUT', body: 'payload' });
    expect(res.text).toBe('PUT payload');
  });

  it('continues a POST as a GET without body after a 303', async () => {
    const r = await receiver((req, res) => {
      if (req.url === '/old') res.writeHead(303, { location: '/new' }).end();
      else res.end(`${req.method} ${req.body.length}`);
    });
    const res = await loopback.request(`${r.url}/old`, { method: 'POST', body: 'payload' });
    expect(res.text).toBe('GET 0');
  });

  it('gives up after maxRedirects hops', async () => {
    const r = await receiver((_req, res) => res.writeHead(302, { location: '/again' }).end());
    const client = createHttpClient({ allowPrivateAddresses: true, maxRedirects: 2 });
    const err = await failure(client.request(r.url));
    expect(err.kind).toBe<HttpErrorKind>('bad-url');
    expect(err.message).toContain('too many redirects');
    expect(r.requests).toHaveLength(3);
  });

  it('refuses a redirect to a private address when private addresses are not allowed', async () => {
    const internal = await receiver();
    const trusted = await receiver((_req, res) => res.writeHead(302, { location: `${internal.url}/` }).end());
    // the first hop is exempt as an operator-trusted host; the hop it redirects to is not
    const client = createHttpClient({ allowHosts: [new URL(trusted.url).host] });
    const err = await failure(client.request(trusted.url));
    expect(err.kind).toBe<HttpErrorKind>('refused-address');
    expect(trusted.requests).toHaveLength(1);
    expect(internal.requests).toHaveLength(0);
  });

  it('refuses a redirect to a cloud metadata address', async () => {
    const trusted = await receiver((_req, res) =>
      res.writeHead(301, { location: 'http://169.254.169.254/latest/meta-data/' }).end(),
    );
    const client = createHttpClient({ allowHosts: [new URL(trusted.url).host] });
    expect((await failure(client.request(trusted.url))).kind).toBe<HttpErrorKind>('refused-address');
  });

  it('reads only maxResponseBytes of a large body and does not wait for the rest', async () => {
    const r = await receiver((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('x'.repeat(1024 * 1024)); // 1 MB, and the response never ends
    });
    const client = createHttpClient({
      allowPrivateAddresses: true,
      maxResponseBytes: 64 * 1024,
      timeoutMs: 5000,
    });
    const res = await client.request(r.url);
    expect(res.text).toHaveLength(64 * 1024);
    expect(res.truncated).toBe(true);
  });

  it('fails with a timeout when the server answers too late', async () => {
    const r = await receiver(async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 2000)); // bounded: the client gives up at 200 ms
      res.end('late');
    });
    const client = createHttpClient({ allowPrivateAddresses: true, timeoutMs: 200 });
    const started = performance.now();
    const err = await failure(client.request(r.url));
    expect(err.kind).toBe<HttpErrorKind>('timeout');
    expect(err.message).toContain('200 ms');
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('fails with a network error when the connection is refused', async () => {
    const err = await failure(loopback.request(await closedPortUrl()));
    expect(err.kind).toBe<HttpErrorKind>('network');
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('fails with a network error when the host does not resolve', async () => {
    const err = await failure(createHttpClient().request('https://no-such-host.invalid/hook'));
    expect(err.kind).toBe<HttpErrorKind>('network');
    expect(err.message).toContain('no-such-host.invalid');
  });

  it.each(['ftp://example.com/file', 'not a url', 'https://user:pass@example.com/'])(
    'refuses %s as a bad URL',
    async (url) => {
      expect((await failure(loopback.request(url))).kind).toBe<HttpErrorKind>('bad-url');
    },
  );
});

describe('the default client', () => {
  it('refuses 127.0.0.1 without connecting', async () => {
    const r = await receiver();
    const err = await failure(createHttpClient().request(r.url));
    expect(err.kind).toBe<HttpErrorKind>('refused-address');
    expect(err.message).toContain('127.0.0.1');
    expect(r.requests).toHaveLength(0);
  });

  it.each([
    'http://localhost/',
    'http://LOCALHOST./',
    'http://api.localhost/',
    'http://10.0.0.1/',
    'http://192.168.1.1/',
    'http://172.16.5.4/',
    'http://100.64.0.1/',
    'http://169.254.169.254/',
    'http://0.0.0.0/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[fd00:ec2::254]/',
    'http://[fe80::1]/',
    'http://0x7f.1/', // the URL parser turns this into 127.0.0.1
    'http://2130706433/',
  ])('refuses %s', async (url) => {
    expect((await failure(createHttpClient().request(url))).kind).toBe<HttpErrorKind>('refused-address');
  });
});
