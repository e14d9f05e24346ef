// The admin CLI, run in-process through main(argv, io) with its own environment; the last
// block spawns the real process for what only a process shows (exit codes, stderr, hangs).
import { existsSync } from 'node:fs';
import { createServer, type Server as NetServer } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { loadConfig } from '../../src/config.ts';
import { type Server, startServer } from '../../src/server.ts';
import { freePort, runVigil, tempDir } from '../e2e/server-process.ts';

interface Run {
  code: number;
  out: string;
  err: string;
}

async function vigil(argv: string[], env: Record<string, string | undefined>): Promise<Run> {
  let out = '';
  let err = '';
  const io: Io = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    env,
  };
  const code = await main(argv, io);
  return { code, out, err };
}

const json = <T = Record<string, unknown>>(run: Run): T => {
  expect(run.err).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.out) as T;
};

const tmp = tempDir('vigil-cli-');
afterAll(() => tmp.remove());

describe('usage', () => {
  // a database path that does not exist: help and usage errors must not create it
  const dbPath = join(tmp.dir, 'untouched', 'vigil.db');
  const env = { VIGIL_DATABASE_URL: `sqlite:${dbPath}` };

  it('prints the help: exit 0 when asked, 2 with the help on stderr without a command', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const run = await vigil(argv, env);
      expect(run.code, argv.join(' ')).toBe(0);
      expect(run.out).toContain('Usage: vigil <command>');
    }
    const bare = await vigil([], env);
    expect(bare.code).toBe(2);
    expect(bare.err).toContain('Usage: vigil <command>');
    expect((await vigil(['--version'], env)).out).toMatch(/^vigil \d+\.\d+\.\d+/);
  });

  it('rejects an unknown command with exit 2 and the help on stderr', async () => {
    const run = await vigil(['frobnicate'], env);
    expect(run.code).toBe(2);
    expect(run.out).toBe('');
    expect(run.err).toContain('unknown command "frobnicate"');
    expect(run.err).toContain('Usage: vigil <command>');
    // not a command, even though every object has it
    expect((await vigil(['toString'], env)).code).toBe(2);
  });

  it.each([
    ['serve', '--help'],
    ['migrate', '--help'],
    ['keys', '--help'],
    ['keys', 'create', '--help'],
    ['keys', 'list', '--help'],
    ['keys', 'revoke', '--help'],
    ['projects', '--help'],
    ['projects', 'create', '-h'],
    ['projects', 'list', '--help'],
  ])('%s %s %s exits 0 with its usage', async (...argv) => {
    const run = await vigil(argv, env);
    expect(run.code).toBe(0);
    expect(run.err).toBe('');
    expect(run.out).toMatch(/Usage/);
  });

  it('rejects unknown flags and subcommands with exit 2', async () => {
    const flag = await vigil(['keys', 'list', '--bogus'], env);
    expect(flag.code).toBe(2);
    expect(flag.err).toContain('--bogus');
    expect(flag.err).toContain('Usage');
    expect((await vigil(['migrate', 'now'], env)).code).toBe(2);
    expect((await vigil(['keys'], env)).code).toBe(2);
    expect((await vigil(['projects'], env)).code).toBe(2);
  });

  it('touched no database', () => {
    expect(existsSync(dbPath)).toBe(false);
  });
});

describe('configuration errors', () => {
  it('serve with VIGIL_PORT=abc fails naming the variable, without a stack trace', async () => {
    const dbPath = join(tmp.dir, 'bad-port', 'vigil.db');
    const run = await vigil(['serve'], { VIGIL_DATABASE_URL: `sqlite:${dbPath}`, VIGIL_PORT: 'abc' });
    expect(run.code).not.toBe(0);
    expect(run.out).toBe('');
    expect(run.err).toContain('VIGIL_PORT');
    expect(run.err).toContain('"abc"');
    expect(run.err).not.toMatch(/\n\s+at /);
    expect(existsSync(dbPath)).toBe(false);
  });

  it.each([
    ['VIGIL_DATABASE_URL', 'mysql://localhost/vigil'],
    // accepted, but nothing listens there: the failure to connect names the variable too
    ['VIGIL_DATABASE_URL', 'postgres://vigil:secret@127.0.0.1:1/vigil'],
    ['VIGIL_PORT', '70000'],
    ['VIGIL_BASE_URL', 'not a url'],
    ['VIGIL_PING_BODY_LIMIT', 'lots'],
    ['VIGIL_LOG_LEVEL', 'loud'],
  ])('%s=%s is refused by name', async (name, value) => {
    const run = await vigil(['migrate'], {
      VIGIL_DATABASE_URL: `sqlite:${join(tmp.dir, 'cfg', 'vigil.db')}`,
      [name]: value,
    });
    expect(run.code).not.toBe(0);
    expect(run.err).toContain(name);
    expect(run.err).not.toMatch(/\n\s+at /);
  });
});

describe('migrate', () => {
  it('creates a fresh database (and its directory), and is idempotent', async () => {
    const dbPath = join(tmp.dir, 'fresh', 'nested', 'vigil.db');
    const env = { VIGIL_DATABASE_URL: `sqlite:${dbPath}` };
    const run = await vigil(['migrate'], env);
    expect(run).toMatchObject({ code: 0, err: '' });
    expect(run.out).toContain('up to date');
    expect(existsSync(dbPath)).toBe(true);
    const db = new Database(dbPath, { readonly: true });
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
    ).map((t) => t.name);
    const projects = db.prepare('SELECT COUNT(*) AS n FROM projects').get() as { n: number };
    db.close();
    expect(tables).toEqual(
      expect.arrayContaining([
        'projects',
        'api_keys',
        'checks',
        'pings',
        'flips',
        'channels',
        'notifications',
      ]),
    );
    // migrate only migrates: no project or key is made behind the user's back
    expect(projects.n).toBe(0);
    expect((await vigil(['migrate'], env)).code).toBe(0);
  });
});

describe('projects and keys', () => {
  const dbPath = join(tmp.dir, 'keys', 'vigil.db');
  const env = { VIGIL_DATABASE_URL: `sqlite:${dbPath}` };
  let server: Server | undefined;
  let acme: { project: { id: string; name: string }; key: string; ping_key: string };
  let readOnly: {
    key: string;
    id: string;
    read_only: boolean;
    project: { id: string; name: string };
    ping_key: string;
  };

  const get = (key: string) =>
    fetch(`${server!.url}/api/v1/checks`, { headers: { Authorization: `Bearer ${key}` } }).then(
      (r) => r.status,
    );
  const post = (key: string, name: string) =>
    fetch(`${server!.url}/api/v1/checks`, {
      method: 'POST',
      headers: { 'X-Api-Key': key, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name, schedule: { kind: 'interval', period: 60, grace: 60 } }),
    }).then((r) => r.status);

  beforeAll(async () => {
    acme = json(await vigil(['projects', 'create', 'acme', '--json'], env));
    // the real server, in-process, on the same file the CLI writes
    server = await startServer(loadConfig({ ...env, VIGIL_HOST: '127.0.0.1', VIGIL_PORT: '0' }), {
      logger: pino({ level: 'silent' }),
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('projects create --json prints {project, key, ping_key}', () => {
    expect(Object.keys(acme).sort()).toEqual(['key', 'ping_key', 'project']);
    expect(acme.project).toEqual({ id: expect.any(String), name: 'acme' });
    expect(acme.key).toMatch(/^vgl_[A-Za-z0-9_-]{20,}$/);
    expect(acme.ping_key).toMatch(/^[A-Za-z0-9_-]{8,}$/);
  });

  it('a project name is unique; projects list shows it', async () => {
    const again = await vigil(['projects', 'create', 'acme'], env);
    expect(again.code).toBe(1);
    expect(again.err).toContain('exists already');
    const list = json<{ id: string; name: string; ping_key: string }[]>(
      await vigil(['projects', 'list', '--json'], env),
    );
    expect(list).toEqual([
      expect.objectContaining({ id: acme.project.id, name: 'acme', ping_key: acme.ping_key }),
    ]);
    expect((await vigil(['projects', 'list'], env)).out).toContain(`${acme.project.id}  acme`);
  });

  it('keys create --read-only --json prints the key once, marked read-only', async () => {
    readOnly = json(await vigil(['keys', 'create', '--project', 'acme', '--read-only', '--json'], env));
    expect(readOnly).toMatchObject({
      key: expect.stringMatching(/^vgl_/),
      id: expect.any(String),
      read_only: true,
      project: { id: acme.project.id, name: 'acme' },
      ping_key: acme.ping_key,
    });
    const list = json<{ id: string; prefix: string; read_only: boolean }[]>(
      await vigil(['keys', 'list', '--json'], env),
    );
    expect(list).toHaveLength(2);
    expect(list.find((k) => k.id === readOnly.id)).toMatchObject({
      read_only: true,
      prefix: readOnly.key.slice(0, 12),
      project: { id: acme.project.id, name: 'acme' },
    });
    // the key itself is never listed
    expect(JSON.stringify(list)).not.toContain(readOnly.key);
    expect((await vigil(['keys', 'list'], env)).out).toMatch(new RegExp(`${readOnly.id} .* read-only`));
  });

  it('the read-only key reads but cannot write; the project key can', async () => {
    expect(await get(readOnly.key)).toBe(200);
    expect(await post(readOnly.key, 'ro attempt')).toBe(403);
    expect(await post(acme.key, 'rw attempt')).toBe(201);
  });

  it('keys create refuses an unknown project', async () => {
    const run = await vigil(['keys', 'create', '--project', 'nope'], env);
    expect(run.code).toBe(1);
    expect(run.err).toContain('no project "nope"');
  });

  it('keys revoke removes the key from the list and from the server at once', async () => {
    const run = await vigil(['keys', 'revoke', readOnly.id], env);
    expect(run).toMatchObject({ code: 0, err: '' });
    const list = json<{ id: string }[]>(await vigil(['keys', 'list', '--json'], env));
    expect(list.map((k) => k.id)).not.toContain(readOnly.id);
    expect(list).toHaveLength(1);
    expect(await get(readOnly.key)).toBe(401);
    expect(await get(acme.key)).toBe(200);

    expect((await vigil(['keys', 'revoke', readOnly.id], env)).code).toBe(1);
    expect((await vigil(['keys', 'revoke'], env)).code).toBe(2);
  });

  it('keys revoke also takes the prefix shown by keys list', async () => {
    const made = json<{ key: string; id: string }>(await vigil(['keys', 'create', '--json'], env));
    expect(await get(made.key)).toBe(200);
    const revoked = await vigil(['keys', 'revoke', made.key.slice(0, 12)], env);
    expect(revoked.code).toBe(0);
    expect(await get(made.key)).toBe(401);
  });
});

describe('the real process', () => {
  it('exits with a one-line message naming VIGIL_PORT=abc, no stack trace', async () => {
    const run = await runVigil(
      ['serve'],
      { VIGIL_DATABASE_URL: `sqlite:${join(tmp.dir, 'proc', 'vigil.db')}`, VIGIL_PORT: 'abc' },
      { cwd: tmp.dir },
    );
    expect(run.timedOut).toBe(false);
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^vigil serve: invalid configuration/);
    expect(run.stderr).toContain('VIGIL_PORT');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits non-zero, naming the variables, instead of hanging when the port is taken', async () => {
    const port = await freePort();
    const blocker: NetServer = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const run = await runVigil(
        ['serve'],
        {
          VIGIL_DATABASE_URL: `sqlite:${join(tmp.dir, 'busy', 'vigil.db')}`,
          VIGIL_HOST: '127.0.0.1',
          VIGIL_PORT: String(port),
        },
        { cwd: tmp.dir, timeoutMs: 10_000 },
      );
      expect(run.timedOut, `${run.stdout}\n${run.stderr}`).toBe(false);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(
        /cannot listen on 127\.0\.0\.1:\d+ \(VIGIL_HOST, VIGIL_PORT\): the address is in use/,
      );
      expect(run.stdout, 'the one-time key must not be spent on a failed start').not.toMatch(/vgl_/);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
