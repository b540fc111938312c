const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** How long a call runs before it is shown as under way: a refusal is decided well within it. */
export const PROGRESS_DELAY_MS = 400;

/**
 * Shows that a long call is under way, on stderr so stdout stays clean for scripts: a spinner with
 * the elapsed seconds on a terminal, one plain line otherwise, nothing with --json. Nothing shows
 * for the first PROGRESS_DELAY_MS, so a request refused at once (denied, invalid) never reads as
 * computing: the line appears once the gateway has taken the job and the nodes are at work.
 */
export async function withProgress<T>(
  label: string,
  quiet: boolean,
  work: () => Promise<T>,
  stream: Pick<NodeJS.WriteStream, "write" | "isTTY"> = process.stderr,
): Promise<T> {
  if (quiet) return work();
  const started = Date.now();
  let frame = 0;
  let shown = false;
  const draw = () => {
    shown = true;
    if (!stream.isTTY) return stream.write(`${label}…\n`);
    return stream.write(
      `\r${FRAMES[frame++ % FRAMES.length]} ${label} ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  };
  let timer: NodeJS.Timeout | undefined;
  const delay = setTimeout(() => {
    draw();
    if (stream.isTTY) timer = setInterval(draw, 100);
  }, PROGRESS_DELAY_MS);
  try {
    return await work();
  } finally {
    clearTimeout(delay);
    clearInterval(timer);
    if (shown && stream.isTTY) stream.write("\r\x1b[2K");
  }
}
