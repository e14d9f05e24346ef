// vigil's Worker as Cloudflare would run it, without an account: the bundle `wrangler deploy
// --dry-run` builds, in workerd through Miniflare (both from the npm registry), with a local D1
// database migrated as `wrangler d1 migrations apply` does, the clock Durable Object with its
// alarms, and the cron trigger on demand. Alerts go to a real HTTP receiver on loopback
// (test/e2e/receiver.ts).
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Miniflare } from 'miniflare';
import type { D1Database } from '../../src/store/d1/d1-types.ts';
import { applyD1Migrations } from '../helpers/d1-migrate.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WRANGLER = join(ROOT, 'node_modules', '.bin', 'wrangler');

export interface Bundle {
  dir: string;
  /** index.js and the text modules next to it */
  files: string[];
  remove(): void;
}

/** Builds the Worker exactly as `npm run build:worker` does. */
export async function buildWorker(): Promise<Bundle> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-worker-'));
  await promisify(execFile)(WRANGLER, ['deploy', '--dry-run', '--outdir', dir], {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
  });
  const files = readdirSync(dir).filter((f) => f !== 'README.md' && !f.endsWith('.map'));
  return { dir, files, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RunningWorker {
  mf: Miniflare;
  db: D1Database;
  /** a request to the Worker, as from a client */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** the per-minute Cron Trigger, fired now */
  cron(): Promise<void>;
  close(): Promise<void>;
}

export const BASE_URL = 'https://vigil.test';

/**
 * Runs the bundle with `vars` as its vars and secrets; migrates its D1 database unless told
 * not to. `quiet` drops what the Worker logs (for specs that make it log errors on purpose).
 */
export async function runWorker(
  bundle: Bundle,
  vars: Record<string, string>,
  opts: { migrate?: boolean; quiet?: boolean } = {},
): Promise<RunningWorker> {
  // the entry module first: workerd takes the first as the main module
  const ordered = [...bundle.files].sort((a, b) => Number(b === 'index.js') - Number(a === 'index.js'));
  const mf = new Miniflare({
    modulesRoot: bundle.dir,
    modules: ordered.map((f) => ({
      type: f === 'index.js' ? 'ESModule' : 'Text',
      path: join(bundle.dir, f),
    })),
    compatibilityDate: '2026-04-01',
    compatibilityFlags: ['nodejs_compat'],
    d1Databases: ['DB'],
    durableObjects: { CLOCK: { className: 'VigilClock', useSQLite: true } },
    bindings: vars,
    ...(opts.quiet
      ? { handleRuntimeStdio: (out: Readable, err: Readable) => [out, err].map((s) => s.resume()) }
      : {}),
  });
  const db = (await mf.getD1Database('DB')) as unknown as D1Database;
  if (opts.migrate !== false) await applyD1Migrations(db);
  return {
    mf,
    db,
    fetch: async (path, init) =>
      (await mf.dispatchFetch(`${BASE_URL}${path}`, init as never)) as unknown as Response,
    cron: async () => {
      const worker = await mf.getWorker();
      await worker.scheduled({ cron: '* * * * *' });
    },
    close: () => mf.dispose(),
  };
}
