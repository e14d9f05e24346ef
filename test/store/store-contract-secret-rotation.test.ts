// Rotating the key of the secrets at rest (Store.rotateSecrets), on every engine: every channel
// and source config is re-sealed with the new key in one transaction (read here with raw SQL,
// around the store), the new key id is recorded, the old key is refused after, and a rotation
// that fails, or meets a row another writer changed, changes nothing.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretBox, SecretKeyError } from '../../src/secrets/secret-box.ts';
import { ConflictError, type Store } from '../../src/store/store.ts';
import { makeChannel, makeProject, makeSource } from './fixtures.ts';
import { databasePerTest, SECRET_ENGINES } from './secret-engines.ts';

const TOKEN = 'xoxb-rotation-token-51c2e8';
const DB_PASSWORD = 'pg-password-rotation-9d0e';

describe.each(SECRET_ENGINES)('rotating the secret key on $engine', (engine) => {
  const db = databasePerTest(engine);
  const open = db.open;
  const keyA = new SecretBox(randomBytes(32));
  const keyB = new SecretBox(randomBytes(32));

  /** two projects: one with two channels and a source, one with a channel */
  async function seed(store: Store) {
    const [one, two] = [makeProject(), makeProject()];
    await store.insertProject(one);
    await store.insertProject(two);
    const channels = [
      makeChannel(one.id, { kind: 'slack', config: { url: 'https://hooks.example/x', token: TOKEN } }),
      makeChannel(one.id),
      makeChannel(two.id, { config: { url: 'http://127.0.0.1:9/two', secret: TOKEN } }),
    ];
    for (const c of channels) await store.insertChannel(c);
    const source = makeSource(one.id, { config: { url: `postgres://m:${DB_PASSWORD}@db.internal/app` } });
    await store.insertSource(source);
    return { one, two, channels, source };
  }

  async function storedConfigs(): Promise<string[]> {
    const rows = await db.raw('SELECT config FROM channels UNION ALL SELECT config FROM sources');
    return rows.map((r) => String(r.config));
  }

  async function recordedKeyId(): Promise<string | undefined> {
    const rows = await db.raw("SELECT value FROM meta WHERE key = 'secrets.key_id'");
    return rows[0]?.value as string | undefined;
  }

  it('re-seals every channel and source with the new key, and the new key reads them all', async () => {
    const store = await open(keyA);
    await store.sealSecrets();
    const { one, two, channels, source } = await seed(store);

    const rotated = await store.rotateSecrets(keyB);
    expect(rotated.from).toBe(keyA.keyId);
    expect(rotated.to).toBe(keyB.keyId);
    expect(rotated.resealed).toHaveLength(4);
    expect(rotated.resealed.filter((r) => r.projectId === two.id)).toEqual([
      { table: 'channels', id: channels[2]!.id, projectId: two.id },
    ]);

    const stored = await storedConfigs();
    expect(stored.every((s) => s.startsWith(`enc:v1:${keyB.keyId}:`))).toBe(true);
    expect(stored.join('\n')).not.toContain(TOKEN);
    expect(stored.join('\n')).not.toContain(DB_PASSWORD);
    expect(await recordedKeyId()).toBe(keyB.keyId);

    const after = await open(keyB);
    expect(await after.sealSecrets()).toBe(0);
    expect(await after.listChannels(one.id)).toEqual(
      expect.arrayContaining([channels[0], channels[1]].map((c) => expect.objectContaining(c))),
    );
    expect(await after.getChannel(channels[2]!.id)).toEqual(channels[2]);
    expect(await after.getSource(source.id)).toEqual(source);
  });

  it('refuses the old key afterwards, naming the key the secrets are sealed with', async () => {
    const store = await open(keyA);
    await store.sealSecrets();
    const { channels } = await seed(store);
    await store.rotateSecrets(keyB);

    const old = await open(keyA);
    const err = (await old.sealSecrets().catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(SecretKeyError);
    expect(err.message).toMatch(
      /^VIGIL_SECRET_KEY does not decrypt the stored secrets; was the key changed\?/,
    );
    expect(err.message).toContain(`They were sealed with key ${keyB.keyId}, and this key is ${keyA.keyId}`);
    await expect(old.getChannel(channels[0]!.id)).rejects.toThrow(/was the key changed/);
  });

  it('seals the configs still stored plain, and records the key on a database that had none', async () => {
    const { channels, source } = await seed(await open());
    expect((await storedConfigs()).join('\n')).toContain(TOKEN);

    const rotated = await (await open(keyA)).rotateSecrets(keyB);
    expect(rotated.from).toBeNull();
    expect(rotated.resealed).toHaveLength(4);
    expect((await storedConfigs()).every((s) => s.startsWith(`enc:v1:${keyB.keyId}:`))).toBe(true);
    expect(await recordedKeyId()).toBe(keyB.keyId);
    const after = await open(keyB);
    expect(await after.getChannel(channels[0]!.id)).toEqual(channels[0]);
    expect(await after.getSource(source.id)).toEqual(source);
  });

  it('writes what `record` writes in the same transaction, and nothing at all when it fails', async () => {
    const store = await open(keyA);
    await store.sealSecrets();
    const { one } = await seed(store);
    const before = await storedConfigs();

    await expect(
      store.rotateSecrets(keyB, async (tx) => {
        await tx.setMeta('rotation.test', 'written');
        throw new Error('the audit entry could not be written');
      }),
    ).rejects.toThrow('the audit entry could not be written');
    expect(await storedConfigs()).toEqual(before);
    expect(await recordedKeyId()).toBe(keyA.keyId);
    expect(await db.raw("SELECT value FROM meta WHERE key = 'rotation.test'")).toEqual([]);

    await store.rotateSecrets(keyB, async (tx, rotated) => {
      await tx.setMeta('rotation.test', `${rotated.from} ${rotated.to} ${rotated.resealed.length}`);
    });
    expect(await db.raw("SELECT value FROM meta WHERE key = 'rotation.test'")).toEqual([
      { value: `${keyA.keyId} ${keyB.keyId} 4` },
    ]);
    expect(await (await open(keyB)).listChannels(one.id)).toHaveLength(2);
  });

  it('refuses to rotate from a key the secrets are not sealed with, and changes nothing', async () => {
    const store = await open(keyA);
    await store.sealSecrets();
    await seed(store);
    const before = await storedConfigs();
    const keyC = new SecretBox(randomBytes(32));
    await expect((await open(keyC)).rotateSecrets(keyB)).rejects.toThrow(/was the key changed/);
    expect(await storedConfigs()).toEqual(before);
    expect(await recordedKeyId()).toBe(keyA.keyId);
  });

  it.runIf(engine.engine === 'd1')(
    'fails at commit, changing nothing, when another Worker changed a channel meanwhile',
    async () => {
      const store = await open(keyA);
      await store.sealSecrets();
      const { channels } = await seed(store);
      const err = await store
        .rotateSecrets(keyB, async () => {
          // D1 reads at once and writes at commit: this lands between the two
          await store.updateChannel({
            ...channels[0]!,
            name: 'renamed',
            updatedAt: channels[0]!.updatedAt + 1,
          });
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConflictError);
      expect((err as Error).message).toMatch(
        /was changed while the secrets were being re-sealed: .* Stop every node/,
      );
      expect((await storedConfigs()).every((s) => s.startsWith(`enc:v1:${keyA.keyId}:`))).toBe(true);
      expect(await recordedKeyId()).toBe(keyA.keyId);
    },
  );

  it.runIf(engine.concurrent)(
    'lets one of two rotations at once win; the other changes nothing',
    async () => {
      const store = await open(keyA);
      await store.sealSecrets();
      await seed(store);
      const keyC = new SecretBox(randomBytes(32));
      const results = await Promise.allSettled([
        store.rotateSecrets(keyB),
        (await open(keyA)).rotateSecrets(keyC),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      // the loser meets the winner's rows at its UPDATE (a conflict), or, when the winner
      // committed before it read them, finds them sealed with a key that is not its own
      const lost = (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as Error;
      expect(lost instanceof ConflictError || lost instanceof SecretKeyError, String(lost)).toBe(true);
      const winner = results[0]!.status === 'fulfilled' ? keyB : keyC;
      expect((await storedConfigs()).every((s) => s.startsWith(`enc:v1:${winner.keyId}:`))).toBe(true);
      expect(await recordedKeyId()).toBe(winner.keyId);
    },
  );
});
