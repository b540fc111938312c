import { instant } from "./format.js";

/** An instant on the viewer's wall clock, never wrapped inside; the instant itself (UTC) is kept in `datetime`. */
export function When({ at, zone }: { at: Date | string | null | undefined; zone: string }) {
  if (!at) return null;
  const date = typeof at === "string" ? new Date(at) : at;
  if (Number.isNaN(date.getTime())) return <>{String(at)}</>;
  return (
    <time datetime={date.toISOString()} title={`${date.toISOString()} (UTC)`}>
      {instant(date, zone)}
    </time>
  );
}
