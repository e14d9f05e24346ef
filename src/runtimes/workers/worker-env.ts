// What a vigil Worker is given (its bindings from wrangler.jsonc, its vars and secrets) and what
// it cannot do. The Workers types come from @cloudflare/workers-types by name only: loading its
// globals would clash with Node's fetch types in this one TypeScript program.
import type {
  DurableObjectNamespace,
  DurableObjectState,
  ExecutionContext,
  ScheduledController,
} from '@cloudflare/workers-types/index.ts';
import type { Capabilities } from '../../capabilities.ts';
import type { D1Database } from '../../store/d1/d1-types.ts';

export interface WorkerEnv {
  /** the D1 database (d1_databases) */
  DB: D1Database;
  /** the clock's Durable Object namespace (durable_objects) */
  CLOCK: DurableObjectNamespace;
  /** vars and secrets: VIGIL_* */
  [variable: string]: unknown;
}

export type { DurableObjectState, ExecutionContext, ScheduledController };

/** No outbound SMTP and no TCP to databases: email channels and pg_cron sources are refused. */
export const WORKERS_CAPABILITIES: Readonly<Capabilities> = Object.freeze({ smtp: false, tcpSources: false });
