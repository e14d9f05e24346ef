import type { z } from 'zod';
import type { EventKind } from '../core/types.ts';
import type { HttpClient } from './http.ts';

/** What every channel is told about one flip. Snapshotted when the flip commits. */
export interface AlertPayload {
  event: EventKind;
  /** true for "send a test alert" */
  test?: boolean;
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

export interface SendContext {
  http: HttpClient;
  /** stable per notification row: lets receivers drop a re-sent duplicate after a crash */
  deliveryId?: string;
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
