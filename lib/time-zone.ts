/** The IANA time zone people are shown times in: SLUICE_TIME_ZONE, else China Standard Time. */
export const DEFAULT_TIME_ZONE = "Asia/Shanghai";

/** Whether the runtime knows this IANA zone name. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const configuredTimeZone = (): string => process.env.SLUICE_TIME_ZONE || DEFAULT_TIME_ZONE;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock parts of an instant in a zone. */
function wallClock(date: Date, zone: string) {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-CA", {
      timeZone: zone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    });
    formatters.set(zone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(date).map((p) => [p.type, p.value]));
  return parts as Record<"year" | "month" | "day" | "hour" | "minute" | "second", string>;
}

/** An instant as the zone's wall clock, "2026-12-04 09:30:00". */
export function zonedDateTime(date: Date, zone: string): string {
  const p = wallClock(date, zone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/** An instant as the value of an `<input type="datetime-local">` in the zone, "2026-12-04T09:30:00". */
export function zonedLocalInput(date: Date, zone: string): string {
  return zonedDateTime(date, zone).replace(" ", "T");
}

/** How far the zone's wall clock is ahead of UTC at this instant, in ms. */
function offsetAt(date: Date, zone: string): number {
  const p = wallClock(date, zone);
  const asUtc = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
  return asUtc - Math.floor(date.getTime() / 1000) * 1000;
}

/** The zone's UTC offset at this instant, "+08:00". */
export function zoneOffset(date: Date, zone: string): string {
  const minutes = Math.round(offsetAt(date, zone) / 60_000);
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/**
 * The instant a wall-clock time names in the zone ("2026-12-04T09:30" or with seconds), or null if
 * the text is not one. A time the zone skips (a daylight-saving gap) is read with the offset before it.
 */
export function instantOfLocal(local: string, zone: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local.trim());
  if (!match) return null;
  const [y, mo, d, h, mi] = match.slice(1, 6).map(Number) as [number, number, number, number, number];
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, Number(match[6] ?? 0));
  if (Number.isNaN(asUtc) || new Date(asUtc).getUTCDate() !== d) return null;
  // The offset at the guess, then at the corrected instant: right across any change of offset.
  const first = asUtc - offsetAt(new Date(asUtc), zone);
  return new Date(asUtc - offsetAt(new Date(first), zone));
}
