import type { z } from 'zod';
import type { EventKind } from '../core/types.ts';
import type { HttpClient } from './http.ts';

/** What every channel is told about one flip. Snapshotted when the flip commits. */
export interface AlertPayload {
  event: EventKind;
  /** true for "send a test alert" */
  test?: boolean;
  /** for a reminder that the check is still down: 1 for the first reminder, 2 for the next, … */
  reminder?: number;
  check: {
    id: string;
    name: string;
    slug: string;
    tags: string[];
    status: string;
    severity: string;
    schedule: string;
    last_ping_at: string | null;
    ping_url: string;
    url: string;
  };
  flip: { id: number; from: string; to: string; at: string; reason: string };
  project: { id: string; name: string };
  /** for recoveries: how long the check was down, in ms */
  downtime_ms?: number | null;
  /** tail of the last ping's body, when there is one */
  last_ping_body?: string | null;
}

export type SendResult =
  | { outcome: 'delivered'; detail?: string }
  /** temporary: timeout, 5xx, 429 — retry later (honour retryAfterMs when the provider said so) */
  | { outcome: 'retry'; error: string; retryAfterMs?: number }
  /** permanent: bad token, 4xx — do not retry; the channel is marked broken with this message */
  | { outcome: 'failed'; error: string };

/** The operator's SMTP server, from configuration (VIGIL_SMTP_*); never from a channel. */
export interface SmtpSettings {
  host: string;
  port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it */
  secure: boolean;
  /** refuse to send unless the connection is upgraded with STARTTLS */
  requireTls: boolean;
  /** verify the server's certificate (default true; false only for self-signed test servers) */
  rejectUnauthorized: boolean;
  user?: string;
  password?: string;
  /** the From address when a channel does not set one */
  from: string;
  /** per connection attempt and per command, in ms */
  timeoutMs: number;
}

export interface SendContext {
  http: HttpClient;
  /** stable per notification row: lets receivers drop a re-sent duplicate after a crash */
  deliveryId?: string;
  /** set when SMTP is configured; the email channel refuses to send without it */
  smtp?: SmtpSettings;
}

/** One channel kind. Adding a channel is one file exporting one of these, listed in registry.ts. */
export interface Notifier<C = unknown> {
  kind: string;
  /** validates the channel's `config` object on create/update */
  configSchema: z.ZodType<C>;
  /** config keys whose values are secrets: masked on read, never logged */
  secretFields: readonly string[];
  /** config keys holding URLs whose path and query may carry a token: shown as origin + mask */
  urlFields?: readonly string[];
  send(payload: AlertPayload, config: C, ctx: SendContext): Promise<SendResult>;
}
