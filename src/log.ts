// What the scheduler, dispatcher, prober and source runner log with: fields, then a message.
// Node passes pino; the Workers runtime passes a small console logger of the same shape, so
// pino itself never has to run there.

export interface Log {
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
}
