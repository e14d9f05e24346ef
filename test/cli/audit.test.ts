// The CLI's changes in the audit log: `vigil projects`, `vigil keys` and `vigil users` change the
// database directly, and each change is recorded with the CLI as its actor, named by the
// operating system user that ran it.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeUsersCommand } from '../../src/cli/commands/users.ts';
import type { Io } from '../../src/cli/io.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { AuditEntry } from '../../src/store/store.ts';
import { tempDir } from '../e2e/server-process.ts';
import { vigilIn } from './job-server.ts';

const tmp = tempDir('vigil-cli-audit-');
afterAll(() => tmp.remove());

const dbPath = join(tmp.dir, 'vigil.db');
const env = { VIGIL_DATABASE_URL: `sqlite:${dbPath}`, USER: 'alice' };
const PASSWORD = 'a long enough password';

function io(): Io & { text(): string } {
  let out = '';
  return {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      out += t;
    },
    env,
    text: () => out,
  };
}

async function vigil(...argv: string[]): Promise<string> {
  const run = await vigilIn(argv, env);
  expect(run.code, run.err).toBe(0);
  return run.out;
}

async function users(...argv: string[]): Promise<void> {
  const x = io();
  expect(await makeUsersCommand(async () => PASSWORD)(argv, x), x.text()).toBe(0);
}

async function auditLog(projectId: string): Promise<AuditEntry[]> {
  const store = await openSqliteStore(dbPath);
  try {
    return (await store.listAudit(projectId, {}, { limit: 100 })).entries.reverse();
  } finally {
    await store.close();
  }
}

describe('changes made with the CLI', () => {
  it('are recorded with the CLI and the OS user as the actor, and never the key', async () => {
    const made = JSON.parse(await vigil('projects', 'create', 'acme', '--json')) as {
      project: { id: string };
      key: string;
    };
    const key = JSON.parse(await vigil('keys', 'create', '--project', 'acme', '--name', 'ci', '--json')) as {
      key: string;
      id: string;
    };
    await vigil('keys', 'revoke', key.id);
    await users('create', '--email', 'ops@example.com', '--project', 'acme');
    await users('passwd', '--email', 'ops@example.com');
    await users('create', '--email', 'dev@example.com', '--project', 'acme', '--role', 'member');
    await users('add', '--email', 'dev@example.com', '--project', 'acme', '--role', 'read-only');
    await users('remove', '--email', 'dev@example.com', '--project', 'acme');

    const entries = await auditLog(made.project.id);
    expect(entries.map((e) => `${e.action} ${e.targetName}`)).toEqual([
      'project.created acme',
      `key.created read-write key (${made.key.slice(0, 12)}…)`,
      `key.created ci (${key.key.slice(0, 12)}…)`,
      `key.revoked ci (${key.key.slice(0, 12)}…)`,
      'user.added ops@example.com',
      'user.password_changed ops@example.com',
      'user.added dev@example.com',
      'user.role_changed dev@example.com',
      'user.removed dev@example.com',
    ]);
    for (const e of entries) {
      expect(e).toMatchObject({
        actorKind: 'cli',
        actorId: null,
        actorLabel: 'vigil CLI (alice)',
        address: null,
      });
    }
    expect(entries[7]!.changes).toEqual({ role: { from: 'member', to: 'read-only' } });
    const text = JSON.stringify(entries);
    expect(text).not.toContain(made.key);
    expect(text).not.toContain(key.key);
    expect(text).not.toContain(PASSWORD);
  });
});
