/** The server's clock as seen from the browser. The demo and training run a simulated clock
 * (e.g. 60× real time), so "now" is estimated from the server's answers, not the wall clock. */

export interface ClockSample {
  serverMs: number;
  wallMs: number;
}

export class ServerClock {
  private first: ClockSample | null = null;
  private last: ClockSample | null = null;

  /** Record one reading of the server's clock at a wall-clock moment. */
  observe(serverMs: number, wallMs: number): void {
    const sample = { serverMs, wallMs };
    if (this.last && serverMs < this.last.serverMs) this.first = null; // the clock was reset (replay)
    if (!this.first) this.first = sample;
    this.last = sample;
  }

  /** How many server milliseconds pass per wall-clock millisecond (1 in production). */
  rate(): number {
    if (!this.first || !this.last) return 1;
    const wall = this.last.wallMs - this.first.wallMs;
    if (wall < 1000) return 1;
    const rate = (this.last.serverMs - this.first.serverMs) / wall;
    return rate > 0 ? rate : 1;
  }

  /** The server's time now, extrapolated from the newest reading; null before any reading. */
  now(wallMs: number): number | null {
    if (!this.last) return null;
    return this.last.serverMs + (wallMs - this.last.wallMs) * this.rate();
  }
}
