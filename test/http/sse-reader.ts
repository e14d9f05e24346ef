// Reads a Server-Sent Events response frame by frame, as an EventSource would, so the specs
// can say "the next event is a ping" and not how the bytes are split.
import { expect } from 'vitest';

export interface Frame {
  id?: string;
  event?: string;
  data?: string;
  retry?: number;
  /** comment lines (heartbeats) */
  comments: string[];
}

export interface SseEvent {
  id: string;
  event: string;
  data: Record<string, unknown>;
}

export class SseReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = '';
  ended = false;

  constructor(res: Response) {
    expect(res.status).toBe(200);
    expect(res.body).not.toBeNull();
    this.reader = res.body!.getReader();
  }

  /** The next frame, or null when the server ended the stream. */
  async frame(): Promise<Frame | null> {
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end >= 0) {
        const text = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        return parse(text);
      }
      const { done, value } = await this.reader.read();
      if (done) {
        this.ended = true;
        return null;
      }
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }

  /** The next frame that carries an event (skipping `retry:` and heartbeats). */
  async event(): Promise<SseEvent> {
    for (;;) {
      const f = await this.frame();
      if (f === null) throw new Error('the stream ended');
      if (f.event !== undefined) {
        return { id: f.id ?? '', event: f.event, data: JSON.parse(f.data ?? 'null') };
      }
    }
  }

  async events(n: number): Promise<SseEvent[]> {
    const out: SseEvent[] = [];
    while (out.length < n) out.push(await this.event());
    return out;
  }

  /** Drops the connection, as a client going away does. */
  async cancel(): Promise<void> {
    await this.reader.cancel();
  }
}

function parse(text: string): Frame {
  const frame: Frame = { comments: [] };
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) {
      frame.comments.push(line.slice(1).trim());
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') frame.id = value;
    else if (field === 'event') frame.event = value;
    else if (field === 'data') frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`;
    else if (field === 'retry') frame.retry = Number(value);
  }
  return frame;
}
