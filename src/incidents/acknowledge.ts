// "Someone is on it": acknowledging an open incident, the same from the dashboard and the API.
// The first acknowledgement stands; live clients hear of it once, and the audit log has it.
import type { Actor } from '../audit/actor.ts';
import { recordChange } from '../audit/audit-log.ts';
import type { EventBus } from '../events/bus.ts';
import type { Incident, Store } from '../store/store.ts';

export type AckOutcome = 'acknowledged' | 'already' | 'resolved';

export async function acknowledge(
  store: Store,
  bus: EventBus,
  incident: Incident,
  /** `by` is what the incident shows (acknowledged by …) */
  who: { by: string; actor: Actor },
  now: number,
): Promise<{ outcome: AckOutcome; incident: Incident }> {
  if (incident.resolvedAt !== null) return { outcome: 'resolved', incident };
  const { changed, check } = await store.transaction(async (tx) => {
    const changed = await tx.acknowledgeIncident(incident.id, now, who.by);
    const check = await tx.getCheck(incident.checkId);
    if (changed) {
      await recordChange(tx, who.actor, {
        action: 'incident.acknowledged',
        projectId: incident.projectId,
        // the incident by its number, named after its check
        target: { id: String(incident.id), name: check?.name ?? incident.checkId },
        at: now,
      });
    }
    return { changed, check };
  });
  const current = (await store.getIncident(incident.id)) ?? incident;
  if (!changed) return { outcome: 'already', incident: current };
  bus.publish({
    type: 'incident.acknowledged',
    projectId: incident.projectId,
    checkId: incident.checkId,
    at: now,
    data: {
      check: check ? { id: check.id, name: check.name, status: check.status } : { id: incident.checkId },
      incident_id: incident.id,
      by: who.by,
    },
  });
  return { outcome: 'acknowledged', incident: current };
}
