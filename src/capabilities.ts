// What the runtime vigil runs on can reach. Node reaches everything; the Cloudflare Workers
// build has no SMTP client and no PostgreSQL driver (both need Node's sockets). The channel and
// source kinds that need them are refused where they are made (API and dashboard), and one that
// exists anyway fails with the same words instead of silently never working.

export interface Capabilities {
  /** outbound SMTP: the email channel */
  smtp: boolean;
  /** TCP connections to PostgreSQL: pg_cron sources */
  tcpSources: boolean;
}

/** Node: everything. */
export const ALL_CAPABILITIES: Readonly<Capabilities> = Object.freeze({ smtp: true, tcpSources: true });

const EMAIL_UNAVAILABLE =
  "email channels send through SMTP, which vigil's Cloudflare Workers build cannot do (no SMTP client runs there). " +
  'Use a resend, postmark, sendgrid or mailgun channel, which send through an HTTP email API (see docs/deploy-workers.md, "Email"), or run vigil on Node';

const PG_CRON_UNAVAILABLE =
  "pg_cron sources read PostgreSQL over a TCP connection, which vigil's Cloudflare Workers build does not open. " +
  'Run vigil on Node to watch pg_cron jobs (see docs/sources.md), or have the jobs ping vigil themselves';

/** Why a channel of `kind` cannot deliver on this runtime, or null when it can. */
export function channelKindProblem(kind: string, caps: Capabilities = ALL_CAPABILITIES): string | null {
  return kind === 'email' && !caps.smtp ? EMAIL_UNAVAILABLE : null;
}

/** Why a source of `kind` cannot be read on this runtime, or null when it can. */
export function sourceKindProblem(kind: string, caps: Capabilities = ALL_CAPABILITIES): string | null {
  return kind === 'pg_cron' && !caps.tcpSources ? PG_CRON_UNAVAILABLE : null;
}
