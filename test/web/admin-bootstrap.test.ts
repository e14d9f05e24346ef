// The first admin from VIGIL_ADMIN_EMAIL and VIGIL_ADMIN_PASSWORD: how the configuration reads
// them, and what the real server does with them on its first start and after.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/auth/passwords.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { startServer } from '../../src/server.ts';
import { tempDir } from '../e2e/server-process.ts';

const PASSWORD = 'first admin password';
const tmp = tempDir('vigil-admin-');
afterAll(() => tmp.remove());

describe('loadConfig: the first admin', () => {
  it('is null when neither variable is set', () => {
    expect(loadConfig({}).admin).toBeNull();
  });

  it('reads both, the email normalised', () => {
    const c = loadConfig({ VIGIL_ADMIN_EMAIL: ' Admin@Example.com ', VIGIL_ADMIN_PASSWORD: PASSWORD });
    expect(c.admin).toEqual({ email: 'admin@example.com', password: PASSWORD });
  });

  it.each([{ VIGIL_ADMIN_EMAIL: 'admin@example.com' }, { VIGIL_ADMIN_PASSWORD: PASSWORD }])(
    'wants both or neither: %j',
    (env) => {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(/VIGIL_ADMIN_EMAIL and VIGIL_ADMIN_PASSWORD go together/);
    },
  );

  it('names a bad email', () => {
    expect(() => loadConfig({ VIGIL_ADMIN_EMAIL: 'admin', VIGIL_ADMIN_PASSWORD: PASSWORD })).toThrow(
      /VIGIL_ADMIN_EMAIL: must be an email address/,
    );
  });

  it('names a weak password without repeating it', () => {
    let message = '';
    try {
      loadConfig({ VIGIL_ADMIN_EMAIL: 'admin@example.com', VIGIL_ADMIN_PASSWORD: 'hunter2' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/VIGIL_ADMIN_PASSWORD: must be at least 10 characters/);
    expect(message).not.toContain('hunter2');
  });

  it('reads the password from VIGIL_ADMIN_PASSWORD_FILE', () => {
    const file = join(tmp.dir, 'admin-password');
    writeFileSync(file, `${PASSWORD}\n`);
    const c = loadConfig({ VIGIL_ADMIN_EMAIL: 'admin@example.com', VIGIL_ADMIN_PASSWORD_FILE: file });
    expect(c.admin?.password).toBe(PASSWORD);
  });
});

describe('the server with a first admin configured', () => {
  const env = {
    VIGIL_DATABASE_URL: `sqlite:${join(tmp.dir, 'server', 'vigil.db')}`,
    VIGIL_HOST: '127.0.0.1',
    VIGIL_PORT: '0',
    VIGIL_ADMIN_EMAIL: 'admin@example.com',
    VIGIL_ADMIN_PASSWORD: PASSWORD,
  };

  async function start(extra: Record<string, string> = {}) {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const server = await startServer(loadConfig({ ...env, ...extra }), { logger });
    return { server, logs: () => lines.join('') };
  }

  it('creates the admin on the first start as owner of every project, logging the email only', async () => {
    const { server, logs } = await start();
    try {
      expect(logs()).toContain('created admin user admin@example.com');
      expect(logs()).not.toContain(PASSWORD);
      const admin = (await server.store.getUserByEmail('admin@example.com'))!;
      expect(await verifyPassword(PASSWORD, admin.passwordHash)).toBe(true);
      const projects = await server.store.listProjects();
      expect(projects.length).toBeGreaterThan(0);
      expect(await server.store.listMemberships(admin.id)).toEqual(
        projects.map((p) => expect.objectContaining({ projectId: p.id, role: 'owner' })),
      );
    } finally {
      await server.close();
    }
  });

  it('leaves the users alone once anyone exists', async () => {
    const { server, logs } = await start({ VIGIL_ADMIN_EMAIL: 'second@example.com' });
    try {
      expect(logs()).not.toContain('created admin user');
      expect(await server.store.getUserByEmail('second@example.com')).toBeNull();
      expect(await server.store.listUsers()).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});
