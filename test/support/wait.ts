/**
 * Waiting in tests without fixed sleeps: `until` waits for a condition to hold, `quiet` waits for
 * an observed value to stop changing (the bounded wait before a "nothing more happened" check).
 * Both give up with an error naming what they waited for.
 */

export type Maybe<T> = T | false | null | undefined;

const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Polls `check` until it returns a truthy value, and returns that value. */
export async function until<T>(check: () => Maybe<T> | Promise<Maybe<T>>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not met within ${timeoutMs} ms`);
    await pause(20);
  }
}

/**
 * Polls `read` until its value (compared as JSON) has not changed for `quietMs`, and returns it.
 * Fails when it keeps changing for `timeoutMs`: something is still happening.
 */
export async function quiet<T>(read: () => T | Promise<T>, options: { quietMs?: number; timeoutMs?: number; what?: string } = {}): Promise<T> {
  const { quietMs = 300, timeoutMs = 5000, what = 'value' } = options;
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  let lastText = JSON.stringify(last);
  let stableSince = Date.now();
  for (;;) {
    await pause(20);
    const value = await read();
    const text = JSON.stringify(value);
    if (text !== lastText) {
      last = value;
      lastText = text;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= quietMs) {
      return last;
    }
    if (Date.now() > deadline) throw new Error(`${what}: still changing after ${timeoutMs} ms (last ${lastText})`);
  }
}
