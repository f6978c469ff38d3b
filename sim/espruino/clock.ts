/**
 * A tag's real-time clock as Espruino on nRF52 keeps it (targets/nrf5x/jshardware.c):
 * - `getTime()` is the RTC since power-on plus an offset that `setTime` adjusts; timers are relative and are
 *   not moved by `setTime`;
 * - across a soft reset (watchdog, `E.reboot`) the RTC counter restarts but the time base sits in `.noinit`
 *   RAM together with the last counter value read, so time continues from the last time Espruino read the
 *   clock: the interval between that read and the reset is lost;
 * - a power loss (battery change) clears RAM: the clock restarts at 0 (1 Jan 1970);
 * - the 32.768 kHz crystal runs fast or slow by `driftPpm` relative to world time.
 */
import type { Scheduler } from "./scheduler";

/** One tag's RTC on the shared world clock. */
export class TagClock {
  /** Tag milliseconds at `anchorWorld`. */
  private baseMs = 0;
  private anchorWorld: number;
  private rate: number;
  /** World time of the last clock read (getTime or an event dispatch). */
  private lastReadWorld: number;

  constructor(private readonly scheduler: Scheduler, driftPpm = 0) {
    this.anchorWorld = scheduler.now();
    this.lastReadWorld = this.anchorWorld;
    this.rate = 1 + driftPpm / 1e6;
  }

  /** Seconds since 1970 as the tag reads them (`getTime()`); counts as a read. */
  getTime(): number {
    this.touch();
    return this.secondsAt(this.scheduler.now());
  }

  /** The tag's seconds at a world time (not a read: no effect on a later soft reset). */
  secondsAt(world: number): number {
    return this.tagMsAt(world) / 1000;
  }

  /** `setTime(seconds)`. */
  setTime(seconds: number): void {
    this.baseMs = seconds * 1000;
    this.anchorWorld = this.scheduler.now();
    this.lastReadWorld = this.anchorWorld;
  }

  /** Records that Espruino read the clock now (it does on every wake). */
  touch(): void {
    this.lastReadWorld = this.scheduler.now();
  }

  /** World milliseconds that `tagMs` of this tag's clock take. */
  worldDuration(tagMs: number): number {
    return tagMs / this.rate;
  }

  /** Crystal error in parts per million (positive: the tag's clock runs fast). */
  get driftPpm(): number {
    return (this.rate - 1) * 1e6;
  }

  set driftPpm(ppm: number) {
    this.reanchor();
    this.rate = 1 + ppm / 1e6;
  }

  /** A soft reset now: time continues from the last read, losing what passed since. */
  softReset(): void {
    this.baseMs = this.tagMsAt(this.lastReadWorld);
    this.anchorWorld = this.scheduler.now();
    this.lastReadWorld = this.anchorWorld;
  }

  /** Power restored now after a loss: the clock starts again at 0. */
  powerOn(): void {
    this.setTime(0);
  }

  private reanchor(): void {
    const now = this.scheduler.now();
    this.baseMs = this.tagMsAt(now);
    this.anchorWorld = now;
  }

  private tagMsAt(world: number): number {
    return this.baseMs + (world - this.anchorWorld) * this.rate;
  }
}
