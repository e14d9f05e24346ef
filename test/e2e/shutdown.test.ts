// Stopping vigil the way a service manager does: SIGTERM, then a clean exit.
import { afterAll, describe, expect, it } from 'vitest';
import { restartVigil, startVigil, tempDir, type VigilProcess } from './server-process.ts';

describe('graceful shutdown', () => {
  const tmp = tempDir();
  let vigil: VigilProcess | undefined;

  afterAll(async () => {
    await vigil?.stop();
    tmp.remove();
  });

  it('reports healthy, then exits 0 within 5 s of SIGTERM and logs "vigil stopped"', async () => {
    vigil = await startVigil({ dbPath: `${tmp.dir}/vigil.db` });

    const res = await fetch(`${vigil.url}/healthz`);
    const health = (await res.json()) as { ok: boolean; database: string; scheduler: { ok: boolean } };
    expect(res.status, JSON.stringify(health)).toBe(200);
    expect(health).toMatchObject({ ok: true, database: 'ok', scheduler: { ok: true } });

    const sent = Date.now();
    const exit = await vigil.kill('SIGTERM', 5000);
    console.info(`exited ${Date.now() - sent} ms after SIGTERM`);
    expect(exit).toEqual({ code: 0, signal: null });

    const messages = vigil.logs().map((l) => l.msg);
    expect(messages).toContain('vigil stopped');
    expect(messages.indexOf('shutting down')).toBeLessThan(messages.indexOf('vigil stopped'));
    expect(vigil.logs().find((l) => l.msg === 'shutting down')).toMatchObject({ signal: 'SIGTERM' });
    expect(vigil.stderr()).toBe('');
    // nothing listens any more
    await expect(fetch(`${vigil.url}/healthz`)).rejects.toThrow();
  });

  it('starts again on the same database without printing the key again, and stops on SIGINT', async () => {
    const previous = vigil!;
    vigil = await restartVigil(previous);
    expect(previous.bootstrap).not.toBeNull();
    expect(vigil.bootstrap).toBeNull();
    expect(vigil.stdout()).not.toContain('vgl_');
    const res = await fetch(`${vigil.url}/healthz`);
    expect(res.status).toBe(200);

    const exit = await vigil.kill('SIGINT', 5000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(vigil.logs().map((l) => l.msg)).toContain('vigil stopped');
  });
});
