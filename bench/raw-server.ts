// The ingest baseline: a bare node:http server that reads the request body (as any server
// must, to keep the connection usable) and answers `OK`, storing nothing. It runs in its
// own process, like vigil, and prints `listening <port>` once it accepts connections.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=UTF-8', 'Content-Length': '2' });
    res.end('OK');
  });
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});

process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
