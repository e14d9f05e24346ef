// What a command loads: `vigil run` and `vigil ping` start from crontabs, once per job, so they
// must not load the server or the database drivers (about half their start-up time). A resolve
// hook that refuses those modules makes any command that loads them fail; `vigil migrate`,
// which must load them, shows that the hook works.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN, TSX } from '../e2e/server-process.ts';

const REFUSED = /better-sqlite3|^pg$|^kysely$|open-store|\/server\.ts$|^hono$/;

let dir: string;
let trap: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-lazy-'));
  const hooks = `export async function resolve(specifier, context, next) {
    if (${REFUSED}.test(specifier)) throw new Error('refused to load ' + specifier);
    return next(specifier, context);
  }`;
  trap = join(dir, 'trap.mjs');
  writeFileSync(
    trap,
    `import { register } from 'node:module';\nregister(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});\n`,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function vigil(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    ['--import', TSX, '--import', pathToFileURL(trap).href, MAIN, ...args],
    {
      encoding: 'utf8',
      env: { ...process.env, VIGIL_DATABASE_URL: `sqlite:${join(dir, 'vigil.db')}` },
      timeout: 60_000,
    },
  );
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('commands load only what they use', () => {
  it('vigil run, ping and --help load neither the server nor a database driver', () => {
    for (const args of [['run', '--help'], ['ping', '--help'], ['--help']]) {
      const r = vigil(...args);
      expect(r.output, args.join(' ')).not.toContain('refused to load');
      expect(r.status, `${args.join(' ')}: ${r.output}`).toBe(0);
    }
  });

  it('vigil migrate does load them (the hook refuses what it should)', () => {
    const r = vigil('migrate');
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/refused to load (better-sqlite3|pg|kysely|.*open-store)/);
  });
});
