// "Someone is on it": acknowledging an open incident, the same from the dashboard and the API.
// The first acknowledgement stands; live clients hear of it once.
import type { EventBus } from '../events/bus.ts';
import type { Incident, Store } from '../store/store.ts';

export type AckOutcome = 'acknowledged' | 'already' | 'resolved';

export async function acknowledge(
  store: Store,
  bus: EventBus,
  incident: Incident,
  by: string,
  now: number,
): Promise<{ outcome: AckOutcome; incident: Incident }> {
  if (incident.resolvedAt !== null) return { outcome: 'resolved', incident };
  const changed = await store.acknowledgeIncident(incident.id, now, by);
  const current = (await store.getIncident(incident.id)) ?? incident;
  if (!changed) return { outcome: 'already', incident: current };
  const check = await store.getCheck(incident.checkId);
  bus.publish({
    type: 'incident.acknowledged',
    projectId: incident.projectId,
    checkId: incident.checkId,
    at: now,
    data: {
      check: check ? { id: check.id, name: check.name, status: check.status } : { id: incident.checkId },
      incident_id: incident.id,
      by,
    },
  });
  return { outcome: 'acknowledged', incident: current };
}
