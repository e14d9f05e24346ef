// The durable floor of the ingest benchmark: the least a server must do to answer a ping only
// once it is on disk, with none of vigil's logic. HTTP as in raw-server.ts; then, for the
// pings that arrived together (group commit): the check looked up in memory, each ping's row
// through vigil's own prepared INSERT into a file of vigil's schema (plainPings, storage.ts),
// the check's newest ping number in one UPDATE, the same prune, COMMIT, and fdatasync of the
// WAL on the thread pool, shared by the batches that committed meanwhile (vigil's WalSync);
// `OK` after that. vigil's distance from this is what vigil's own work costs; this server's
// distance from raw is what durability costs.
// It prints `listening <port> <check id>` once it accepts connections.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pingValues } from '../src/store/rows.ts';
import { WalSync } from '../src/store/sqlite/wal-sync.ts';
import { plainPings, seed } from './storage.ts';

const RETENTION = 1000;
const PREFIX = '/ping/';

const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-durable-'));
const path = join(dir, 'durable.db');
const checkId = randomUUID();
await (await seed(path, [checkId], false)).close();

const { db, insert, prune } = plainPings(path);
const wal = new WalSync(`${path}-wal`);
const update = db.prepare('UPDATE checks SET ping_seq = ?, last_ping_at = ? WHERE id = ?');
/** each check's newest ping number, read once at start */
const seq = new Map<string, number>(
  (db.prepare('SELECT id, ping_seq FROM checks').all() as { id: string; ping_seq: number }[]).map((r) => [
    r.id,
    r.ping_seq,
  ]),
);

interface Waiting {
  id: string;
  body: string;
  at: number;
  source: string | null;
  userAgent: string | null;
  res: ServerResponse;
}

let queue: Waiting[] = [];

function answer(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=UTF-8', 'Content-Length': text.length });
  res.end(text);
}

async function commit(): Promise<void> {
  const batch = queue;
  queue = [];
  const newest = new Map<string, number>();
  db.exec('BEGIN IMMEDIATE');
  for (const p of batch) {
    const n = seq.get(p.id)! + 1;
    seq.set(p.id, n);
    newest.set(p.id, n);
    insert.run(
      ...pingValues({
        checkId: p.id,
        n,
        at: p.at,
        clientAt: null,
        kind: 'success',
        exitStatus: null,
        method: 'POST',
        source: p.source,
        userAgent: p.userAgent,
        rid: null,
        durationMs: null,
        body: p.body,
        truncated: false,
      }),
    );
  }
  const at = Date.now();
  for (const [id, n] of newest) {
    update.run(n, at, id);
    prune.run(id, n - RETENTION);
  }
  db.exec('COMMIT');
  wal.noteCommit();
  // batches that committed meanwhile share one sync
  await wal.sync();
  for (const p of batch) answer(p.res, 200, 'OK');
}

const server = createServer((req, res) => {
  const id = req.url?.startsWith(PREFIX) ? req.url.slice(PREFIX.length) : '';
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => {
    body += chunk;
  });
  req.on('end', () => {
    if (!seq.has(id)) return answer(res, 404, 'not found');
    queue.push({
      id,
      body,
      at: Date.now(),
      source: req.socket.remoteAddress ?? null,
      userAgent: req.headers['user-agent'] ?? null,
      res,
    });
    // the requests already readable join this batch
    if (queue.length === 1) setImmediate(commit);
  });
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port} ${checkId}\n`);
});

process.on('SIGTERM', () => {
  server.close(async () => {
    await wal.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
  server.closeAllConnections();
});
