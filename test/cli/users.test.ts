// `vigil users`: in-process with a password given by the test, and once as the real process
// with the password piped on stdin, then used to sign in to the real server.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/auth/passwords.ts';
import { makeUsersCommand } from '../../src/cli/commands/users.ts';
import { CliError, type Io } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { loadConfig } from '../../src/config.ts';
import { startServer } from '../../src/server.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { MAIN, TSX, tempDir } from '../e2e/server-process.ts';

interface Run {
  code: number;
  out: string;
  err: string;
}

function captureIo(env: Record<string, string>): Io & { run(code: number): Run } {
  let out = '';
  let err = '';
  return {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    env,
    run: (code) => ({ code, out, err }),
  };
}

/** `vigil users ...` in-process, the password (when one is asked for) given here. */
async function users(argv: string[], env: Record<string, string>, password = 'a long enough password') {
  const io = captureIo(env);
  try {
    return io.run(await makeUsersCommand(async () => password)(argv, io));
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    io.err(err.message);
    return io.run(err.exitCode);
  }
}

async function vigil(argv: string[], env: Record<string, string>): Promise<Run> {
  const io = captureIo(env);
  return io.run(await main(argv, io));
}

const json = <T>(run: Run): T => {
  expect(run.err).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.out) as T;
};

const tmp = tempDir('vigil-users-');
afterAll(() => tmp.remove());

describe('usage', () => {
  const env = { VIGIL_DATABASE_URL: `sqlite:${join(tmp.dir, 'untouched', 'vigil.db')}` };

  it.each([['--help'], ['create', '--help'], ['ls', '-h']])(
    'users %s %s exits 0 with its usage',
    async (...argv) => {
      const run = await vigil(['users', ...argv], env);
      expect(run).toMatchObject({ code: 0, err: '' });
      expect(run.out).toContain('vigil users create --email E');
    },
  );

  it('is listed in the main help', async () => {
    expect((await vigil(['--help'], env)).out).toContain('users create|ls|passwd|add|remove');
  });

  it('rejects a missing subcommand, an unknown one and unknown flags with exit 2', async () => {
    expect((await vigil(['users'], env)).code).toBe(2);
    expect((await vigil(['users', 'frob'], env)).err).toContain('unknown subcommand "frob"');
    expect((await vigil(['users', 'ls', '--bogus'], env)).code).toBe(2);
  });
});

describe('managing users', () => {
  const env = { VIGIL_DATABASE_URL: `sqlite:${join(tmp.dir, 'inproc', 'vigil.db')}` };

  it('says to create a project first when there is none', async () => {
    const run = await users(['create', '--email', 'early@example.com'], env);
    expect(run.code).toBe(1);
    expect(run.err).toContain('no projects yet');
  });

  it('names what to fix: the email, the role, the password', async () => {
    json(await vigil(['projects', 'create', 'acme', '--json'], env));
    const noEmail = await users(['create'], env);
    expect(noEmail.code).toBe(2);
    expect(noEmail.err).toContain('--email');
    expect((await users(['create', '--email', 'not-an-email'], env)).err).toContain(
      '--email must be an email',
    );
    const role = await users(['create', '--email', 'a@example.com', '--role', 'admin'], env);
    expect(role).toMatchObject({ code: 2 });
    expect(role.err).toContain('--role must be owner, member or read-only');
    const short = await users(['create', '--email', 'a@example.com'], env, 'short');
    expect(short.code).toBe(2);
    expect(short.err).toContain('at least 10 characters');
  });

  it('creates an owner of the first project by default; ls shows their projects and roles', async () => {
    const made = json<Record<string, unknown>>(
      await users(['create', '--email', 'Ops@Example.com', '--json'], env),
    );
    expect(made).toMatchObject({ email: 'ops@example.com', role: 'owner', project: { name: 'acme' } });
    const list = json<{ email: string; projects: { name: string; role: string }[] }[]>(
      await users(['ls', '--json'], env),
    );
    expect(list).toEqual([
      expect.objectContaining({
        email: 'ops@example.com',
        projects: [expect.objectContaining({ name: 'acme', role: 'owner' })],
      }),
    ]);
    expect((await users(['ls'], env)).out).toContain('ops@example.com  acme (owner)');
    const again = await users(['create', '--email', 'ops@example.com'], env);
    expect(again.code).toBe(1);
    expect(again.err).toContain('exists already');
  });

  it('adds a user to another project, changes the role and removes them', async () => {
    json(await vigil(['projects', 'create', 'billing', '--json'], env));
    json(await users(['create', '--email', 'dev@example.com', '--role', 'member', '--json'], env));
    const add = await users(
      ['add', '--email', 'dev@example.com', '--project', 'billing', '--role', 'read-only'],
      env,
    );
    expect(add).toMatchObject({ code: 0, err: '' });
    expect(add.out).toContain('added as read-only');
    const change = await users(['add', '-e', 'dev@example.com', '-p', 'billing', '-r', 'owner'], env);
    expect(change.out).toContain('changed from read-only to owner');
    expect((await users(['ls'], env)).out).toContain('dev@example.com  acme (member), billing (owner)');

    expect((await users(['remove', '--email', 'dev@example.com', '--project', 'acme'], env)).code).toBe(0);
    const twice = await users(['remove', '--email', 'dev@example.com', '--project', 'acme'], env);
    expect(twice.code).toBe(1);
    expect(twice.err).toContain('is not in "acme"');
    expect((await users(['add', '--email', 'dev@example.com', '--project', 'acme'], env)).code).toBe(2);
    expect(
      (await users(['add', '--email', 'nobody@example.com', '--project', 'acme', '--role', 'owner'], env))
        .err,
    ).toContain('no user with the email nobody@example.com');
  });

  it('never removes or demotes the last owner', async () => {
    const remove = await users(['remove', '--email', 'ops@example.com', '--project', 'acme'], env);
    expect(remove.code).toBe(1);
    expect(remove.err).toContain('at least one owner');
    const demote = await users(
      ['add', '--email', 'ops@example.com', '--project', 'acme', '--role', 'member'],
      env,
    );
    expect(demote.code).toBe(1);
  });

  it('passwd sets a new password and signs the user out everywhere', async () => {
    const path = env.VIGIL_DATABASE_URL.slice('sqlite:'.length);
    const before = await openSqliteStore(path);
    try {
      const user = (await before.getUserByEmail('ops@example.com'))!;
      const session = { userId: user.id, csrfToken: 'c', projectId: null, createdAt: 0 };
      await before.insertSession({ ...session, id: 'old-session', expiresAt: Date.now() + 60_000 });
    } finally {
      await before.close();
    }
    const run = await users(['passwd', '--email', 'ops@example.com'], env, 'a brand new password');
    expect(run).toMatchObject({ code: 0, err: '' });
    const store = await openSqliteStore(path);
    try {
      const user = (await store.getUserByEmail('ops@example.com'))!;
      expect(await verifyPassword('a brand new password', user.passwordHash)).toBe(true);
      expect(await store.getSession('old-session')).toBeNull();
    } finally {
      await store.close();
    }
  });
});

describe('the real process', () => {
  const dbPath = join(tmp.dir, 'process', 'vigil.db');
  const env = { VIGIL_DATABASE_URL: `sqlite:${dbPath}` };

  /** runs the CLI as a user would, with `stdin` piped in */
  function run(args: string[], stdin: string): Promise<Run> {
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('VIGIL_')),
    );
    const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
      cwd: tmp.dir,
      env: { ...inherited, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    child.stdin.end(stdin);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.once('error', reject);
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, out, err });
      });
    });
  }

  beforeAll(async () => {
    json(await vigil(['projects', 'create', 'acme', '--json'], env));
  });

  it('refuses an empty stdin with a hint, creating nobody', async () => {
    const result = await run(['users', 'create', '--email', 'ops@example.com'], '');
    expect(result.code).toBe(2);
    expect(result.err).toContain('no password on stdin');
    expect((await vigil(['users', 'ls', '--json'], env)).out.trim()).toBe('[]');
  });

  it('creates a user from a password on stdin, who can then sign in to the server', async () => {
    const password = 'piped password 123';
    const result = await run(
      ['users', 'create', '--email', 'ops@example.com', '--project', 'acme'],
      `${password}\n`,
    );
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toContain('Created ops@example.com, owner of "acme"');

    const server = await startServer(loadConfig({ ...env, VIGIL_HOST: '127.0.0.1', VIGIL_PORT: '0' }), {
      logger: pino({ level: 'silent' }),
    });
    try {
      const form = await fetch(`${server.url}/login`);
      const token = /vigil_login_csrf=([^;]+)/.exec(form.headers.get('set-cookie') ?? '')![1]!;
      const signIn = await fetch(`${server.url}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: `vigil_login_csrf=${token}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: token, email: 'ops@example.com', password }),
      });
      expect(signIn.status).toBe(303);
      expect(signIn.headers.get('location')).toBe('/checks');
      const session = signIn.headers
        .getSetCookie()
        .find((c) => c.startsWith('vigil_session='))!
        .split(';')[0]!;
      const keys = await fetch(`${server.url}/keys`, { headers: { cookie: session }, redirect: 'manual' });
      expect(keys.status).toBe(200);
      expect(await keys.text()).toContain('acme');
    } finally {
      await server.close();
    }
  });
});
