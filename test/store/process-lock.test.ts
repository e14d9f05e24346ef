import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireProcessLock } from '../../src/store/sqlite/process-lock.ts';

let dir: string;
let db: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-lock-'));
  db = join(dir, 'vigil.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('one server per SQLite file', () => {
  it('writes its pid into the lock and removes it on release', () => {
    const release = acquireProcessLock(db);
    expect(readFileSync(`${db}.lock`, 'utf8')).toBe(String(process.pid));
    release();
    expect(existsSync(`${db}.lock`)).toBe(false);
  });

  it('refuses while another live process holds the lock, naming it', () => {
    writeFileSync(`${db}.lock`, String(process.ppid)); // the test runner's parent is alive
    expect(() => acquireProcessLock(db)).toThrow(
      new RegExp(`another vigil \\(pid ${process.ppid}\\) is serving`),
    );
  });

  it('takes over a lock whose process is gone (after a crash)', () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    writeFileSync(`${db}.lock`, gone.stdout.toString());
    const release = acquireProcessLock(db);
    expect(readFileSync(`${db}.lock`, 'utf8')).toBe(String(process.pid));
    release();
  });
});
