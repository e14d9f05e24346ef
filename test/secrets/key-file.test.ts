// Where a Node server's key comes from when VIGIL_SECRET_KEY is not set: secret.key in the data
// directory, made once and read after, and the mistakes around it said plainly.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { nodeSecretBox, secretKeyPath } from '../../src/secrets/key-file.ts';
import { SecretBox } from '../../src/secrets/secret-box.ts';
import { tempDir } from '../e2e/server-process.ts';

const tmp = tempDir('vigil-key-file-');
afterAll(() => tmp.remove());

let n = 0;
/** the settings of a fresh SQLite database in its own directory */
function sqliteIn(dir = join(tmp.dir, `db-${++n}`)) {
  return { secretKey: null, sqlitePath: join(dir, 'vigil.db') };
}

function box(config: Parameters<typeof nodeSecretBox>[0]) {
  const warnings: string[] = [];
  return { box: nodeSecretBox(config, (w) => warnings.push(w)), warnings };
}

describe('the key file', () => {
  it('lies beside the SQLite database; on PostgreSQL in data/ under the working directory', () => {
    expect(secretKeyPath({ sqlitePath: '/var/lib/vigil/vigil.db' })).toBe('/var/lib/vigil/secret.key');
    expect(secretKeyPath({ sqlitePath: null })).toBe(resolve('data', 'secret.key'));
    expect(secretKeyPath({ sqlitePath: ':memory:' })).toBeNull();
  });

  it('is made once (32 bytes, mode 0600, a warning to back it up), and read on every start after', () => {
    const config = sqliteIn();
    const first = box(config);
    const path = secretKeyPath(config)!;
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(first.warnings).toEqual([
      expect.stringMatching(/^made a new secret key in .*secret\.key: .*Back it up/),
    ]);
    expect(first.warnings[0]).not.toContain('PostgreSQL');
    expect(Buffer.from(readFileSync(path, 'utf8').trim(), 'base64')).toHaveLength(32);

    const second = box(config);
    expect(second.warnings).toEqual([]);
    expect(second.box.keyId).toBe(first.box.keyId);
    // what one sealed, the other opens
    expect(second.box.open(first.box.seal('x', 'channel c'), 'channel c')).toBe('x');
    expect(second.box.source).toBe(`the key file ${path}`);
  });

  it('is not made when VIGIL_SECRET_KEY is set', () => {
    const key = randomBytes(32);
    const config = {
      ...sqliteIn(),
      secretKey: loadConfig({ VIGIL_SECRET_KEY: key.toString('hex') }).secretKey,
    };
    const made = box(config);
    expect(made.box.keyId).toBe(new SecretBox(key).keyId);
    expect(made.box.source).toBe('VIGIL_SECRET_KEY');
    expect(() => statSync(secretKeyPath(config)!)).toThrow(/ENOENT/);
  });

  it('takes a file left by a crash of an earlier process with this pid in its stride', () => {
    const config = sqliteIn();
    const path = secretKeyPath(config)!;
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(`${path}.${process.pid}.new`, 'half a ke');
    expect(box(config).warnings).toHaveLength(1);
    expect(() => statSync(`${path}.${process.pid}.new`)).toThrow(/ENOENT/);
  });

  it('says to restore a file that holds no key, without quoting it', () => {
    const config = sqliteIn();
    const path = secretKeyPath(config)!;
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, 'not-a-key-at-all\n', { mode: 0o600 });
    expect(() => box(config)).toThrow(ConfigError);
    expect(() => box(config)).toThrow(
      /secret key file .*secret\.key holds no key .*restore it from the backup/,
    );
    expect(() => box(config)).not.toThrow(/not-a-key-at-all/);
  });

  it('warns at every start while other users can read it', () => {
    const config = sqliteIn();
    box(config);
    chmodSync(secretKeyPath(config)!, 0o644);
    expect(box(config).warnings).toEqual([
      expect.stringMatching(/can be read by other users \(mode 644\): chmod 600/),
    ]);
  });

  it('names VIGIL_SECRET_KEY as the way out when the key file cannot be written', () => {
    const config = sqliteIn();
    const path = secretKeyPath(config)!;
    // a directory where the new key is written first (chmod would not stop root, who runs CI)
    mkdirSync(join(`${path}.${process.pid}.new`, 'in-the-way'), { recursive: true });
    expect(() => box(config)).toThrow(ConfigError);
    expect(() => box(config)).toThrow(
      /^cannot write the secret key file .*secret\.key: .*set VIGIL_SECRET_KEY/,
    );
  });

  it('on PostgreSQL, warns that every node needs the same key', () => {
    const cwd = process.cwd();
    process.chdir(tmp.dir);
    try {
      const { warnings } = box({ secretKey: null, sqlitePath: null });
      expect(warnings[0]).toContain(join(tmp.dir, 'data', 'secret.key'));
      expect(warnings[0]).toContain('Every vigil node on this PostgreSQL database needs this same key');
    } finally {
      process.chdir(cwd);
    }
  });

  it('is never made for an in-memory database', () => {
    const made = box({ secretKey: null, sqlitePath: ':memory:' });
    expect(made.warnings).toEqual([]);
  });
});
