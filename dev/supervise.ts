/**
 * Keeps one part of `npm start` running: when it fails it is logged and started again, with backoff
 * (1 s, doubling to 30 s, back to 1 s after a minute of health), while the other parts keep running.
 * A clean stop (Ctrl-C) ends it.
 */
export async function supervise(
  name: string,
  run: () => Promise<void>,
  log: (line: string) => void,
  options: { initialMs?: number; maxMs?: number } = {},
): Promise<void> {
  const initial = options.initialMs ?? 1000;
  const max = options.maxMs ?? 30_000;
  let delay = initial;
  let stopping = false;
  const stop = () => (stopping = true);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    for (;;) {
      const started = Date.now();
      try {
        await run();
        return;
      } catch (error) {
        if (stopping) return;
        if (Date.now() - started > 60_000) delay = initial;
        log(`${name} stopped: ${(error as Error).message}; restarting in ${delay / 1000}s`);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, max);
      }
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
