// The Python client's own unittest suite, run against a real server. Without python3 the test
// is skipped with a warning, unless VIGIL_REQUIRE_PYTHON is set (CI sets it): then it fails.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startVigil, tempDir, type VigilProcess } from '../e2e/server-process.ts';

const hasPython = !spawnSync('python3', ['--version']).error;

function run(command: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env } });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      output += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      output += d;
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

describe('the Python client', () => {
  const tmp = tempDir('vigil-python-');
  let server: VigilProcess | undefined;

  beforeAll(async () => {
    if (hasPython) server = await startVigil({ dbPath: join(tmp.dir, 'vigil.db') });
  });

  afterAll(async () => {
    await server?.stop();
    tmp.remove();
  });

  it('passes its unittest suite against a real server', async (ctx) => {
    if (!hasPython) {
      if (process.env.VIGIL_REQUIRE_PYTHON)
        throw new Error('python3 is not installed (VIGIL_REQUIRE_PYTHON is set)');
      console.warn('\n*** SKIPPED: python3 not found; the Python client was NOT tested ***\n');
      ctx.skip();
      return;
    }
    expect(server!.bootstrap, server!.stdout()).not.toBeNull();
    const result = await run('python3', ['-m', 'unittest', 'discover', '-s', 'clients/python', '-v'], {
      VIGIL_TEST_URL: server!.url,
      VIGIL_TEST_API_KEY: server!.bootstrap!.key,
      VIGIL_TEST_PING_KEY: server!.bootstrap!.pingKey,
      PYTHONDONTWRITEBYTECODE: '1',
    });
    if (result.code !== 0) console.error(result.output);
    expect(result.code, result.output).toBe(0);
    expect(result.output).not.toMatch(/skipped=/);
  }, 60_000);
});
