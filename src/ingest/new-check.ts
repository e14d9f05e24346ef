import { newCheckState } from '../core/status.ts';
import type { Check, CheckConfig } from '../store/store.ts';

/** Settings of a check created by a ping to an unknown slug (`?create=1`). */
export function defaultCheckConfig(slug: string): CheckConfig {
  return {
    name: slug,
    slug,
    description: '',
    tags: [],
    schedule: { kind: 'interval', period: 86_400, grace: 3_600 },
    maxRuntime: null,
    failureThreshold: 1,
    severity: 'important',
    manualResume: false,
    methods: 'any',
    channels: [],
    realertEvery: null,
    successCriteria: '',
    probe: null,
  };
}

export function newCheck(id: string, projectId: string, config: CheckConfig, now: number): Check {
  return {
    id,
    projectId,
    ...config,
    ...newCheckState(config.schedule, config),
    statusChangedAt: now,
    pingSeq: 0,
    remindAt: null,
    remindersSent: 0,
    rev: 0,
    origin: null,
    archivedAt: null,
    createdAt: now,
    updatedAt: now,
  };
}
