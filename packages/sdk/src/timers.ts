// Timers that never keep the host process alive: a monitoring loop must not stop a program
// from exiting. Node and Bun timers have `unref()`; Deno has `Deno.unrefTimer(id)`; browsers
// and edge runtimes have neither and need neither.

type Handle = ReturnType<typeof setTimeout>;

interface DenoTimers {
  unrefTimer?(id: number): void;
}

/** `setTimeout` whose timer does not hold the event loop open where the runtime allows it. */
export function unrefTimeout(fn: () => void, ms: number): Handle {
  const handle = setTimeout(fn, ms);
  const node = handle as unknown as { unref?: () => void };
  if (typeof node.unref === 'function') node.unref();
  else if (typeof handle === 'number') {
    const deno = (globalThis as { Deno?: DenoTimers }).Deno;
    deno?.unrefTimer?.(handle);
  }
  return handle;
}
