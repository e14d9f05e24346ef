import type { Migration, MigrationProvider } from 'kysely';
import * as initial from './001-initial.ts';
import * as alerting from './002-alerting.ts';
import * as dashboard from './003-dashboard.ts';
import * as sources from './004-sources.ts';
import * as nodes from './005-nodes.ts';
import * as audit from './006-audit.ts';
import * as outboxOrder from './007-outbox-order.ts';
import * as outboxChannelDue from './008-outbox-channel-due.ts';
import type { Dialect } from './dialect.ts';

/** Migrations are code (not files found at run time) so a bundled build carries them. */
export function migrationProvider(dialect: Dialect): MigrationProvider {
  return {
    async getMigrations(): Promise<Record<string, Migration>> {
      return {
        '001-initial': { up: initial.up(dialect) },
        '002-alerting': { up: alerting.up(dialect) },
        '003-dashboard': { up: dashboard.up(dialect) },
        '004-sources': { up: sources.up(dialect) },
        '005-nodes': { up: nodes.up(dialect) },
        '006-audit': { up: audit.up(dialect) },
        '007-outbox-order': { up: outboxOrder.up(dialect) },
        '008-outbox-channel-due': { up: outboxChannelDue.up(dialect) },
      };
    },
  };
}
