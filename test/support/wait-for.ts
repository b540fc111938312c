/** Polls until `probe` returns a value that `done` accepts; fails after `attempts` tries. Not a timing assertion. */
export async function waitFor<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  attempts = 100,
  intervalMs = 100,
): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < attempts; i++) {
    last = await probe();
    if (done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`condition not reached after ${attempts} tries; last value: ${JSON.stringify(last)}`);
}
