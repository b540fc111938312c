import { SluiceError } from "../../lib/errors.js";

/** How many addresses are counted at once; beyond it, the oldest window's counts are dropped. */
const MAX_ADDRESSES = 100_000;

/**
 * Counts each network address's failed authentications in one-minute windows and refuses an address
 * over its limit before any signature of it is verified (429 with Retry-After), so that unsigned or
 * badly signed traffic from one place stops costing the gateway signature checks and database reads.
 * Signed requests that verify never count. 0 disables it.
 */
export class AuthFailureLimit {
  private window = 0;
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  private roll(): number {
    const window = Math.floor(this.now() / 60_000);
    if (window !== this.window) {
      this.window = window;
      this.failures.clear();
    }
    return (window + 1) * 60_000;
  }

  /** Throws `rate_limited` when the address has failed too often this minute. */
  check(address: string): void {
    if (this.perMinute === 0) return;
    const windowEnd = this.roll();
    if ((this.failures.get(address) ?? 0) < this.perMinute) return;
    const retryAfterSeconds = Math.max(1, Math.ceil((windowEnd - this.now()) / 1000));
    throw new SluiceError(
      "rate_limited",
      `${this.perMinute} requests from ${address} failed authentication this minute; try again in ${retryAfterSeconds} s`,
      { details: { retryAfterSeconds } },
    );
  }

  /** Counts one failed authentication from the address. */
  record(address: string): void {
    if (this.perMinute === 0) return;
    this.roll();
    if (this.failures.size >= MAX_ADDRESSES && !this.failures.has(address)) this.failures.clear();
    this.failures.set(address, (this.failures.get(address) ?? 0) + 1);
  }
}
