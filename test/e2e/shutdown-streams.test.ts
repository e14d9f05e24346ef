// A dashboard left open must not keep vigil from stopping: closing the server ends its event
// streams, and the client sees its stream end.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startServer } from '../../src/server.ts';

describe('shutdown with open event streams', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sse-shutdown-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ends the streams and finishes closing', async () => {
    let key = '';
    const server = await startServer(
      loadConfig({
        VIGIL_DATABASE_URL: `sqlite:${join(dir, 'vigil.db')}`,
        VIGIL_HOST: '127.0.0.1',
        VIGIL_PORT: '0',
      }),
      { logger: pino({ level: 'silent' }), onBootstrap: (info) => (key = info.key) },
    );
    const res = await fetch(`${server.url}/api/v1/events`, { headers: { 'X-Api-Key': key } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read(); // "retry: 3000": the stream is open
    expect(new TextDecoder().decode(first.value)).toContain('retry:');

    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    // the client's stream ends (rather than hanging) ...
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true }) as const);
      if (chunk.done) break;
    }
    // ... and close() completes; a server that waited for the stream would never get here
    await closing;
    expect(closed).toBe(true);
  });
});
