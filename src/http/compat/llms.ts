// GET /llms.txt: a short guide for AI agents (the llms.txt convention), with this server's
// real base URL in every example so an agent can copy the commands as they are.
import { Hono } from 'hono';
import type { AppDeps } from '../deps.ts';

export function llmsText(baseUrl: string): string {
  const api = `${baseUrl}/api/v1`;
  return `# vigil

> vigil is a self-hosted heartbeat monitor. Jobs (cron jobs, workers, backups, daemons)
> ping it; when a ping does not arrive on schedule, or a job reports a failure, vigil
> alerts through the project's channels (email, Slack, webhooks, ...).

Base URL: ${baseUrl}
API: ${api} (JSON). Authenticate with "X-Api-Key: <key>" or "Authorization: Bearer <key>".
API keys belong to a project; read-only keys can only read.

## Concepts

- A check expects pings: every N seconds (interval + grace) or on a cron schedule.
- Status: new (never pinged), up, late (ping overdue, grace running), down, paused.
- A failure ping, or no ping by the deadline plus grace, makes the check down and
  opens an incident; a success ping brings it back up.

## Create a check (or update the one with this slug)

curl -X PUT ${api}/checks/by-slug/nightly-backup \\
  -H "X-Api-Key: $VIGIL_API_KEY" -H "Content-Type: application/json" \\
  -d '{"name":"Nightly backup","schedule":{"kind":"interval","period":86400,"grace":3600}}'

The answer holds "id" and "ping_url" (${baseUrl}/ping/<id>).

## Ping it

curl -fsS ${baseUrl}/ping/<id>            # success
curl -fsS ${baseUrl}/ping/<id>/start      # a run started (measures its duration)
curl -fsS ${baseUrl}/ping/<id>/fail       # the run failed
curl -fsS ${baseUrl}/ping/<id>/<exit-code> # 0 is success, anything else a failure
curl -fsS --data-raw "log output" ${baseUrl}/ping/<id>   # a POST body is kept with the ping

No key is needed to ping: the check's id is the secret. By project ping key and slug:
${baseUrl}/ping/<ping-key>/<slug> (add ?create=1 to create an unknown slug).

## Read status

curl -H "X-Api-Key: $VIGIL_API_KEY" ${api}/checks            # all checks, with status
curl -H "X-Api-Key: $VIGIL_API_KEY" ${api}/checks/<id>       # one check
curl -H "X-Api-Key: $VIGIL_API_KEY" ${api}/checks/<id>/pings # its pings, newest first
curl -H "X-Api-Key: $VIGIL_API_KEY" "${api}/incidents?open=true"  # open incidents

## Acknowledge an incident

curl -X POST -H "X-Api-Key: $VIGIL_API_KEY" ${api}/incidents/<incident-id>/acknowledge

## Reference

- OpenAPI document: ${api}/openapi.json
- Compatible APIs of other monitors (pulse, applications, daemons): see docs/compat.md
`;
}

export function llmsRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  const text = llmsText(deps.config.baseUrl);
  app.get('/llms.txt', (c) => c.body(text, 200, { 'Content-Type': 'text/plain; charset=utf-8' }));
  return app;
}
