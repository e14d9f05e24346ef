// The server's logger: pino, JSON lines on stdout (or `destination`). vigil never logs request
// headers, bodies or query strings, and masks the keys in paths (request-id.ts loggablePath);
// the redact list is the second line of defence, for an object someone logs whole later.
import pino, { type DestinationStream, type Logger } from 'pino';

const SECRET_FIELDS = [
  'authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'password',
  'passwordHash',
  'token',
  'secret',
  'apiKey',
  'key',
  'pingKey',
  'connectionString',
];

/** Each field at the top level, one level down, and in request and response headers. */
const REDACT = SECRET_FIELDS.flatMap((f) => {
  const at = /^[A-Za-z_$][\w$]*$/.test(f) ? `.${f}` : `["${f}"]`;
  return [
    at.slice(at.startsWith('.') ? 1 : 0),
    `*${at}`,
    `req.headers${at}`,
    `res.headers${at}`,
    `headers${at}`,
  ];
});

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, base: { service: 'vigil' }, redact: { paths: REDACT, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}
