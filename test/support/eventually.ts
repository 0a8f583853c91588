// Waiting in tests for something asynchronous to become true: checked every 25 ms, failing after
// a timeout with what was awaited (a function: read at the timeout, for what was seen meanwhile).

export async function eventually(
  ok: () => boolean | Promise<boolean>,
  what: string | (() => string) = 'the condition',
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ok()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
