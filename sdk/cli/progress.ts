const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/**
 * Shows that a long call is under way, on stderr so stdout stays clean for scripts: a spinner with
 * the elapsed seconds on a terminal, one plain line otherwise, nothing with --json.
 */
export async function withProgress<T>(label: string, quiet: boolean, work: () => Promise<T>): Promise<T> {
  if (quiet) return work();
  const stream = process.stderr;
  if (!stream.isTTY) {
    stream.write(`${label}…\n`);
    return work();
  }
  const started = Date.now();
  let frame = 0;
  const draw = () =>
    stream.write(`\r${FRAMES[frame++ % FRAMES.length]} ${label} ${((Date.now() - started) / 1000).toFixed(1)} s`);
  draw();
  const timer = setInterval(draw, 100);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    stream.write("\r\x1b[2K");
  }
}
