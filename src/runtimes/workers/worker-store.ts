// The D1 store as the Worker and its clock open it: with VIGIL_SECRET_KEY, channel and source
// secrets are sealed in D1 (and what an older version stored plain is sealed on open); without
// it they are stored plain, and every isolate says so once. Plain rather than refused: an
// upgraded Worker keeps delivering alerts until the secret is set (docs/deploy-workers.md).
import type { Log } from '../../log.ts';
import { SecretBox } from '../../secrets/secret-box.ts';
import { openD1Store } from '../../store/d1/d1-store.ts';
import type { D1Database } from '../../store/d1/d1-types.ts';
import type { Store } from '../../store/store.ts';
import type { WorkerConfig } from './worker-config.ts';

export async function openWorkerStore(
  db: D1Database,
  config: Pick<WorkerConfig, 'secretKey'>,
  log: Log,
): Promise<Store> {
  const secrets = config.secretKey === null ? undefined : new SecretBox(config.secretKey);
  const store = await openD1Store(db, { secrets });
  // with the wrong key, or none while D1 holds sealed secrets, this refuses to open
  await store.sealSecrets();
  if (secrets === undefined) {
    log.warn(
      {},
      'VIGIL_SECRET_KEY is not set: channel secrets and source tokens are stored in D1 unencrypted. Set it: openssl rand -base64 32 | npx wrangler secret put VIGIL_SECRET_KEY',
    );
  }
  return store;
}
