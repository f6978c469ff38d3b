/**
 * Espruino's timer list (src/jsinteractive.c, src/jswrap_interactive.c):
 * - `setTimeout`/`setInterval(fn | code, ms, ...args)`: ms below 0.1 (or NaN) become 0.1; over 100 years throws;
 *   the id is the last timer's id + 1 (1 when none are left), so ids can be reused;
 * - due timers run in list (creation) order; when a callback adds or removes timers the pass restarts;
 * - an interval is rescheduled from its due time (no drift), so a late interval catches up;
 * - `clearTimeout()`/`clearInterval()` with no argument clear every timer (except the runtime's watch debounce
 *   timers); with an explicit `undefined` they throw; unknown ids are ignored; both work on either kind.
 * Intervals are in the tag's own milliseconds (its crystal may drift); due times are world times.
 */
import type { TagClock } from "./clock";
import type { Scheduler } from "./scheduler";

const TIMER_MIN_INTERVAL_MS = 0.1;
const TIMER_MAX_INTERVAL_MS = 31536000001000;

/** What a timer does when due. */
export type TimerAction =
  | { readonly kind: "js"; readonly callback: Function; readonly args: readonly unknown[] }
  | { readonly kind: "native"; readonly run: () => void; readonly watch: boolean };

/** One entry of the list. */
export interface Timer {
  readonly id: number;
  /** World time (ms) it is due. */
  due: number;
  /** Repeat period in tag ms, or null for a timeout. */
  readonly interval: number | null;
  readonly action: TimerAction;
  removed: boolean;
}

/** What the list needs from its tag. */
export interface TimerHost {
  readonly scheduler: Scheduler;
  readonly clock: TagClock;
  /** Runs a JavaScript callback as an event. */
  dispatch(callback: Function, args: readonly unknown[]): void;
  /** Makes sure the tag wakes at world time `time`. */
  wakeAt(time: number): void;
}

/** Outcome of a timer request: the id, or the message Espruino throws. */
export type TimerAdd = { ok: true; id: number } | { ok: false; error: string };

/** A tag's timers. */
export class Timers {
  private list: Timer[] = [];
  private changed = false;

  constructor(private readonly host: TimerHost) {}

  /** Adds a timer `ms` tag milliseconds from now. */
  add(action: TimerAction, ms: number, repeat: boolean): TimerAdd {
    let interval = Number(ms);
    if (Number.isNaN(interval) || interval < TIMER_MIN_INTERVAL_MS) interval = TIMER_MIN_INTERVAL_MS;
    if (interval > TIMER_MAX_INTERVAL_MS) return { ok: false, error: "Interval is too long (>100 years)" };
    const last = this.list[this.list.length - 1];
    const id = last ? last.id + 1 : 1;
    const due = this.host.scheduler.now() + this.host.clock.worldDuration(interval);
    this.list.push({ id, due, interval: repeat ? interval : null, action, removed: false });
    this.changed = true;
    this.host.wakeAt(due);
    return { ok: true, id };
  }

  /** Removes the timer with this id; false if there is none. */
  remove(id: number): boolean {
    const index = this.list.findIndex((timer) => timer.id === id);
    if (index < 0) return false;
    this.list[index]!.removed = true;
    this.list.splice(index, 1);
    this.changed = true;
    return true;
  }

  /** `clearTimeout()` with no argument: every timer except watch debounce timers. */
  clearAll(): void {
    const kept: Timer[] = [];
    for (const timer of this.list) {
      if (timer.action.kind === "native" && timer.action.watch) kept.push(timer);
      else timer.removed = true;
    }
    this.list = kept;
    this.changed = true;
  }

  /** Moves a timer's due time (watch debounce restarts). */
  reschedule(timer: Timer, due: number): void {
    timer.due = due;
    this.host.wakeAt(due);
  }

  /** Finds a timer by id. */
  get(id: number): Timer | undefined {
    return this.list.find((timer) => timer.id === id);
  }

  /** Runs what is due at world time `now`, as Espruino's idle loop does. */
  run(now: number): void {
    do {
      this.changed = false;
      for (let i = 0; i < this.list.length && !this.changed; i++) {
        const timer = this.list[i]!;
        if (timer.due > now) continue;
        const action = timer.action;
        if (action.kind === "js") this.host.dispatch(action.callback, action.args);
        else action.run();
        if (timer.removed) continue;
        if (timer.interval !== null) {
          timer.due += this.host.clock.worldDuration(timer.interval);
        } else {
          timer.removed = true;
          this.list.splice(this.list.indexOf(timer), 1);
          i--;
        }
      }
    } while (this.changed);
  }

  /** World time of the earliest due timer, or null. */
  nextDue(): number | null {
    let next: number | null = null;
    for (const timer of this.list) if (next === null || timer.due < next) next = timer.due;
    return next;
  }

  /** The timers in list order (for memory accounting and tests). */
  entries(): readonly Timer[] {
    return this.list;
  }

  /** Forgets every timer (RAM lost at a reset). */
  reset(): void {
    for (const timer of this.list) timer.removed = true;
    this.list = [];
    this.changed = true;
  }
}
