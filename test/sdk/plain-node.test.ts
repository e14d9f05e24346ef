// The SDK as a Node 20 user gets it: compiled by its own tsconfig (what `npm pack` runs), then
// imported by plain `node` (no tsx, no type stripping) to monitor a job against a real server.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, ROOT, startVigil, tempDir, type VigilProcess } from '../e2e/server-process.ts';

const run = promisify(execFile);

describe('the compiled SDK under plain node', () => {
  const tmp = tempDir('vigil-sdk-node-');
  let server: VigilProcess | undefined;

  beforeAll(async () => {
    server = await startVigil({ dbPath: `${tmp.dir}/vigil.db` });
  });
  afterAll(async () => {
    await server?.stop();
    tmp.remove();
  });

  it('builds, imports and reports a monitored job', async () => {
    const out = join(tmp.dir, 'sdk');
    await run(process.execPath, [
      join(ROOT, 'node_modules/typescript/bin/tsc'),
      '-p',
      join(ROOT, 'packages/sdk/tsconfig.json'),
      '--outDir',
      out,
    ]);
    const script = join(tmp.dir, 'job.mjs');
    writeFileSync(
      script,
      `import { Vigil } from ${JSON.stringify(join(out, 'index.js'))};
const vigil = new Vigil({ url: process.env.URL, apiKey: process.env.KEY });
await vigil.register({ slug: 'plain-node-job', name: 'plain node job', schedule: { kind: 'interval', period: 3600 } });
const value = await vigil.monitor('plain-node-job', async () => 42);
console.log(JSON.stringify({ value }));
`,
    );
    const { stdout } = await run(process.execPath, [script], {
      env: { ...process.env, URL: server!.url, KEY: server!.bootstrap!.key },
    });
    expect(JSON.parse(stdout.trim())).toEqual({ value: 42 });

    const api = apiClient(server!.url, server!.bootstrap!.key);
    const checks = await api<{ checks: { id: string; status: string }[] }>(
      'GET',
      '/checks?slug=plain-node-job',
    );
    expect(checks.body.checks[0]?.status).toBe('up');
    const pings = await api<{ pings: { kind: string; duration_ms: number | null }[] }>(
      'GET',
      `/checks/${checks.body.checks[0]!.id}/pings`,
    );
    expect(pings.body.pings.map((p) => p.kind)).toEqual(['success', 'start']);
    expect(pings.body.pings[0]!.duration_ms).not.toBeNull();
  });
});
