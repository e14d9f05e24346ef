// /api/v1/incidents as a client sees it: listing and filtering the key's project's incidents,
// acknowledging one, and the 4xx answers around them.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LiveEvent } from '../../src/events/bus.ts';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { createCheck, MINUTE, ping, SECOND } from '../scheduler/fixtures.ts';
import { expectApiError, iso, json } from './api-helpers.ts';

interface IncidentView {
  id: number;
  check: { id: string; name: string };
  event: string;
  reason: string;
  opened_at: string;
  resolved_at: string | null;
  duration_ms: number;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
}
interface Listing {
  incidents: IncidentView[];
  next_before: number | null;
}

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

/** Pings the check now, then sweeps past its grace: down, with an open incident; returns its id. */
async function takeDown(checkId: string): Promise<number> {
  await ping(h, checkId);
  h.clock.advance(MINUTE);
  await h.scheduler.sweep(h.clock.now());
  h.clock.advance(30 * SECOND);
  await h.scheduler.sweep(h.clock.now());
  const open = await h.store.listIncidents([h.project.id, h.other.project.id], {
    checkId,
    open: true,
    limit: 1,
  });
  return open[0]!.id;
}

async function list(query = '', key?: string): Promise<Listing> {
  const res = await h.api('GET', `/incidents${query}`, undefined, key);
  expect(res.status).toBe(200);
  return json<Listing>(res);
}

describe('GET /incidents', () => {
  it('lists the project’s incidents, newest first, open and resolved', async () => {
    const a = await createCheck(h, { name: 'db backup' });
    const b = await createCheck(h, { name: 'report' });
    const first = await takeDown(a);
    const openedAt = h.clock.now();
    const second = await takeDown(b);
    h.clock.advance(MINUTE);
    await ping(h, a);

    const { incidents, next_before } = await list();
    expect(incidents.map((i) => i.id)).toEqual([second, first]);
    expect(next_before).toBeNull();
    expect(incidents[1]).toEqual({
      id: first,
      check: { id: a, name: 'db backup' },
      event: 'down',
      reason: expect.any(String),
      opened_at: iso(openedAt),
      resolved_at: iso(h.clock.now()),
      duration_ms: h.clock.now() - openedAt,
      acknowledged_at: null,
      acknowledged_by: null,
    });
    expect(incidents[0]).toMatchObject({ resolved_at: null, duration_ms: MINUTE });
  });

  it('filters by open=true and check_id, and pages with limit and before', async () => {
    const a = await createCheck(h);
    const b = await createCheck(h);
    const ids = [await takeDown(a), await takeDown(b)];
    await ping(h, a);
    expect((await list('?open=true')).incidents.map((i) => i.id)).toEqual([ids[1]]);
    expect((await list('?open=false')).incidents).toHaveLength(2);
    expect((await list(`?check_id=${a}`)).incidents.map((i) => i.id)).toEqual([ids[0]]);
    const page1 = await list('?limit=1');
    expect(page1).toMatchObject({ incidents: [{ id: ids[1] }], next_before: ids[1] });
    expect((await list(`?limit=1&before=${page1.next_before}`)).incidents.map((i) => i.id)).toEqual([ids[0]]);
  });

  it('shows nothing of another project', async () => {
    await takeDown(await createCheck(h, {}, h.other.key));
    expect((await list()).incidents).toEqual([]);
    expect((await list('', h.other.key)).incidents).toHaveLength(1);
  });

  it('answers 400 for bad query values and 404 for another project’s check', async () => {
    await expectApiError(await h.api('GET', '/incidents?open=yes'), 400, /open: must be true or false/);
    await expectApiError(await h.api('GET', '/incidents?limit=0'), 400, /limit/);
    await expectApiError(await h.api('GET', '/incidents?before=x'), 400, /before/);
    const theirs = await createCheck(h, {}, h.other.key);
    await expectApiError(await h.api('GET', `/incidents?check_id=${theirs}`), 404, /check not found/);
    await expectApiError(await h.api('GET', '/incidents?check_id=nope'), 404);
  });

  it('takes a read-only key and needs one', async () => {
    expect((await list('', h.readOnlyKey)).incidents).toEqual([]);
    await expectApiError(await h.api('GET', '/incidents', undefined, null), 401);
  });
});

describe('POST /incidents/{id}/acknowledge', () => {
  it('acknowledges as the key, publishes incident.acknowledged and answers the incident', async () => {
    const checkId = await createCheck(h, { name: 'db backup' });
    const id = await takeDown(checkId);
    const seen: LiveEvent[] = [];
    h.bus.listen((e) => seen.push(e));
    const res = await h.api('POST', `/incidents/${id}/acknowledge`);
    expect(res.status).toBe(200);
    const by = `api key ${h.key.slice(0, 12)}`;
    expect(await json(res)).toMatchObject({ id, acknowledged_at: iso(h.clock.now()), acknowledged_by: by });
    expect(seen).toMatchObject([
      {
        type: 'incident.acknowledged',
        checkId,
        data: { check: { id: checkId, status: 'down' }, incident_id: id, by },
      },
    ]);
    const audit = await json<{ entries: unknown[] }>(
      await h.api('GET', '/audit?action=incident.acknowledged'),
    );
    expect(audit.entries).toMatchObject([
      {
        at: iso(h.clock.now()),
        actor: { kind: 'api_key', address: '127.0.0.1' },
        target: { kind: 'incident', id: String(id), name: 'db backup' },
        changes: null,
      },
    ]);
  });

  it('keeps the first acknowledgement when asked again, and records only that one', async () => {
    const id = await takeDown(await createCheck(h));
    await h.api('POST', `/incidents/${id}/acknowledge`);
    const ackedAt = h.clock.now();
    h.clock.advance(MINUTE);
    const res = await h.api('POST', `/incidents/${id}/acknowledge`);
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ acknowledged_at: iso(ackedAt) });
    const audit = await json<{ entries: unknown[] }>(await h.api('GET', '/audit?target_kind=incident'));
    expect(audit.entries).toMatchObject([{ action: 'incident.acknowledged', at: iso(ackedAt) }]);
  });

  it('answers 409 for a resolved incident', async () => {
    const checkId = await createCheck(h);
    const id = await takeDown(checkId);
    await ping(h, checkId);
    await expectApiError(await h.api('POST', `/incidents/${id}/acknowledge`), 409, /resolved/);
  });

  it('answers 404 for another project’s incident or no such incident', async () => {
    const id = await takeDown(await createCheck(h, {}, h.other.key));
    await expectApiError(await h.api('POST', `/incidents/${id}/acknowledge`), 404, /incident not found/);
    await expectApiError(await h.api('POST', '/incidents/424242/acknowledge'), 404);
    await expectApiError(await h.api('POST', '/incidents/x1/acknowledge'), 404);
    expect((await h.store.getIncident(id))?.acknowledgedAt).toBeNull();
  });

  it('answers 403 to a read-only key', async () => {
    const id = await takeDown(await createCheck(h));
    await expectApiError(await h.api('POST', `/incidents/${id}/acknowledge`, undefined, h.readOnlyKey), 403);
    expect((await h.store.getIncident(id))?.acknowledgedAt).toBeNull();
  });

  it('answers 405 to other methods', async () => {
    await expectApiError(await h.api('DELETE', '/incidents'), 405);
    await expectApiError(await h.api('GET', '/incidents/1/acknowledge'), 405);
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await (await h.app.request('/api/v1/openapi.json')).json()) as {
      paths: Record<string, object>;
    };
    expect(doc.paths).toHaveProperty(['/incidents']);
    expect(doc.paths).toHaveProperty(['/incidents/{id}/acknowledge']);
  });
});
