export { describeSchedule, formatDuration, nextDue, validateCron, validateTimezone } from './schedule.ts';
export type { CheckOptions } from './status.ts';
export { eventForFlip, MAX_OPEN_RUNS, newCheckState, nextDeadlineFor, transition } from './status.ts';
export * from './types.ts';
