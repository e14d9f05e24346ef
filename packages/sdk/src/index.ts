// @vigil/sdk: a vigil client with no dependencies, for any runtime with `fetch`
// (Node 20+, Bun, Deno, Cloudflare Workers and other edge runtimes).
export { VigilError } from './transport.ts';
export type {
  CheckRef,
  CheckSpec,
  HeartbeatOptions,
  HeartbeatStatus,
  Logger,
  PingAction,
  PingOptions,
  ProbeSpec,
  RegisteredCheck,
  RunOptions,
  Schedule,
  Severity,
  VigilOptions,
} from './types.ts';
export { Vigil } from './vigil.ts';
