// One Server-Sent Events connection over the EventBus: what a client missed since its
// Last-Event-ID first, then live events, with a heartbeat. The bus listener only appends to
// this connection's queue; the queue drains as fast as the client reads. A client that falls
// too far behind is dropped (its stream ends) rather than allowed to hold memory or slow the
// commits that publish: its EventSource reconnects with its Last-Event-ID and catches up from
// the bus's replay window, or is told to reload.
import { type EventBus, type LiveEvent, matches, type Subscription } from '../events/bus.ts';

export interface EventStreamOptions {
  /** the last id the client saw (Last-Event-ID); null for "live events only" */
  lastEventId?: string | null;
  /** aborts when the client goes away */
  signal?: AbortSignal;
  heartbeatMs?: number;
  /** unsent events, or bytes, after which the connection is dropped */
  maxQueuedEvents?: number;
  maxQueuedBytes?: number;
}

export const RETRY_MS = 3000;
export const HEARTBEAT_MS = 15_000;
export const MAX_QUEUED_EVENTS = 1000;
export const MAX_QUEUED_BYTES = 1_000_000;

const encoder = new TextEncoder();

/** The sequence part of a `<boot>-<seq>` id. */
const seqOf = (id: string) => Number(id.slice(id.lastIndexOf('-') + 1));

// Every connection formats the same event in the same publish() call: keeping the last
// frame makes that one JSON.stringify per event, not one per connection. A cache of all
// frames would double the memory of the bus's replay window.
let lastEvent: LiveEvent | null = null;
let lastFrame: Uint8Array = new Uint8Array();

export function eventFrame(e: LiveEvent): Uint8Array {
  if (e !== lastEvent) {
    const data = {
      ...e.data,
      check_id: e.checkId,
      project_id: e.projectId,
      at: new Date(e.at).toISOString(),
    };
    lastFrame = encoder.encode(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(data)}\n\n`);
    lastEvent = e;
  }
  return lastFrame;
}

export function eventStream(
  bus: EventBus,
  sub: Subscription,
  opts: EventStreamOptions = {},
): ReadableStream<Uint8Array> {
  const maxEvents = opts.maxQueuedEvents ?? MAX_QUEUED_EVENTS;
  const maxBytes = opts.maxQueuedBytes ?? MAX_QUEUED_BYTES;
  let queue: Uint8Array[] = [];
  let queuedBytes = 0;
  let lastSeq = 0;
  let closed = false;
  /** resolves the pull() that waits for something to send */
  let wake: (() => void) | null = null;
  let unsubscribe = () => {};
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let controller: ReadableStreamDefaultController<Uint8Array>;

  function push(frame: Uint8Array): void {
    if (closed) return;
    queue.push(frame);
    queuedBytes += frame.byteLength;
    if (queue.length > maxEvents || queuedBytes > maxBytes) finish(true);
    else wake?.();
  }

  /** Each event once, in order: the replay and the live listener may both see one. */
  function send(e: LiveEvent): void {
    const seq = seqOf(e.id);
    if (seq <= lastSeq) return;
    lastSeq = seq;
    push(eventFrame(e));
  }

  function finish(closeStream: boolean): void {
    if (closed) return;
    closed = true;
    unsubscribe();
    clearInterval(heartbeat);
    opts.signal?.removeEventListener('abort', onAbort);
    queue = [];
    queuedBytes = 0;
    wake?.();
    if (closeStream) {
      try {
        controller.close();
      } catch {
        // already cancelled by the client
      }
    }
  }
  const onAbort = () => finish(true);

  function reset(reason: string): void {
    push(encoder.encode(`event: reset\ndata: ${JSON.stringify({ reason: `${reason}; reload` })}\n\n`));
  }

  /** Whether a replay leaves the queue room for the live events that follow it. */
  function fits(events: LiveEvent[]): boolean {
    if (events.length > maxEvents / 2) return false;
    let bytes = 0;
    for (const e of events) bytes += eventFrame(e).byteLength;
    return bytes <= maxBytes / 2;
  }

  return new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        if (opts.signal?.aborted) {
          finish(true);
          return;
        }
        opts.signal?.addEventListener('abort', onAbort, { once: true });
        push(encoder.encode(`retry: ${RETRY_MS}\n\n`));
        // Listen before replaying, so no event falls between the two; events published
        // while the replay is read wait in `held`, and send() drops what the replay sent.
        const held: LiveEvent[] = [];
        let replaying = true;
        unsubscribe = bus.listen((e) => {
          if (!matches(e, sub)) return;
          if (replaying) held.push(e);
          else send(e);
        });
        if (opts.lastEventId) {
          const replay = bus.since(opts.lastEventId, sub);
          if ('gone' in replay) {
            reset('the events since that id are no longer kept, or the server restarted');
          } else if (!fits(replay.events)) {
            // Sending them all would overflow the queue and drop the client, which would come
            // back with the same id and be dropped again: a reload is the way out.
            reset('too many events were missed to send them one by one');
          } else {
            for (const e of replay.events) send(e);
          }
        }
        replaying = false;
        for (const e of held) send(e);
        heartbeat = setInterval(
          () => push(encoder.encode(': heartbeat\n\n')),
          opts.heartbeatMs ?? HEARTBEAT_MS,
        );
        heartbeat.unref?.();
      },
      // Called only when the client has asked for more (highWaterMark 0): what is queued
      // here is exactly what the client has not taken yet.
      async pull(c) {
        while (queue.length === 0 && !closed) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = null;
        }
        if (closed) return;
        const chunk = new Uint8Array(queuedBytes);
        let offset = 0;
        for (const frame of queue) {
          chunk.set(frame, offset);
          offset += frame.byteLength;
        }
        queue = [];
        queuedBytes = 0;
        c.enqueue(chunk);
      },
      cancel() {
        finish(false);
      },
    },
    { highWaterMark: 0 },
  );
}
