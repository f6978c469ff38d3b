/**
 * A tag's pins as Espruino drives them (src/jswrap_io.c, src/jsinteractive.c):
 * - LEDs and the vibration motor are outputs; their power is accounted while high;
 * - `digitalWrite([a, b, c], v)` takes the last pin as bit 0; `digitalRead` mirrors it;
 * - `digitalPulse(pin, value, ms | [ms...])` runs on the hardware timer without JavaScript: the first edge is
 *   set at once only if no pulse is pending on that pin, otherwise the new times queue after the last one;
 *   each period toggles the pin (so an even-length array ends at `value`);
 * - `setWatch(fn, pin, {repeat, edge, debounce})`: on buttons the defaults are edge "rising" and debounce
 *   25 ms; a debounced edge fires `debounce` ms after the last change with `time` = that change's time;
 *   one-shot watches remove themselves after firing; `clearWatch(id)` of an unknown id throws
 *   "Unknown Watch", `clearWatch(undefined)` throws, `clearWatch()` clears them all.
 */
import { LED_UA, MOTOR_UA, type PowerMeter } from "./power";
import type { Realm } from "./realm";
import type { ScheduledEvent } from "./scheduler";
import type { Timer, TimerHost, Timers } from "./timers";

/** What pins need from their tag. */
export interface PinHost extends TimerHost {
  readonly power: PowerMeter;
  readonly timers: Timers;
  /** The realm of the running program (watch events are built in it). */
  readonly realm: Realm;
}

/** Outcome of a pin request that Espruino may reject with an exception. */
export type PinResult<T> = { ok: true; value: T } | { ok: false; error: string; type?: "TypeError" };

/** One `setWatch`. */
interface Watch {
  readonly id: number;
  readonly pin: number;
  readonly callback: Function;
  readonly repeat: boolean;
  /** 1 rising, -1 falling, 0 both. */
  readonly edge: number;
  readonly debounceMs: number;
  state: boolean;
  lastTime: number | undefined;
  debounce: { timer: Timer; state: boolean; edgeWorld: number } | null;
}

/** The board's pins and everything Espruino does with them. */
export class PinBank {
  private readonly levels = new Map<number, boolean>();
  /** World time the last queued pulse edge on each pin happens. */
  private readonly pulseEnds = new Map<number, number>();
  private readonly pulseEvents = new Set<ScheduledEvent>();
  private watches: Watch[] = [];
  private readonly pinNumbers = new WeakMap<object, number>();
  /** This boot's Pin objects by number. */
  private readonly pinObjects = new Map<number, object>();

  constructor(
    private readonly host: PinHost,
    private readonly ledPins: readonly number[],
    private readonly motorPin: number | null,
  ) {}

  /** A Pin object for the context (`LED1`, `BTN1`, ...): methods read/set/reset/write/toggle, "D5" as string. */
  pinObject(pin: number): object {
    const bank = this;
    const object = new this.host.realm.Object() as Record<string, unknown>;
    Object.defineProperties(object, {
      read: { value: () => bank.read(pin) },
      set: { value: () => bank.write(pin, true) },
      reset: { value: () => bank.write(pin, false) },
      write: { value: (value: unknown) => bank.write(pin, Boolean(value)) },
      toggle: { value: () => { const next = !bank.read(pin); bank.write(pin, next); return next; } },
      toString: { value: () => "D" + pin },
    });
    this.pinNumbers.set(object, pin);
    this.pinObjects.set(pin, object);
    return object;
  }

  /** The pin number of a Pin object or number, or undefined. */
  resolve(pin: unknown): number | undefined {
    if (typeof pin === "number" && Number.isInteger(pin) && pin >= 0 && pin < 32) return pin;
    if (typeof pin === "object" && pin !== null) return this.pinNumbers.get(pin);
    return undefined;
  }

  /** Level of a pin. */
  read(pin: number): boolean {
    return this.levels.get(pin) ?? false;
  }

  /** Drives an output (or, for the host, sets an input such as the button). */
  write(pin: number, level: boolean): void {
    if (this.read(pin) === level) return;
    this.levels.set(pin, level);
    if (this.ledPins.includes(pin)) this.host.power.setLevel("leds", LED_UA * this.ledPins.filter((p) => this.read(p)).length);
    if (pin === this.motorPin) this.host.power.setLevel("motor", level ? MOTOR_UA : 0);
    this.edge(pin, level);
  }

  /** `digitalWrite(pin | pins, value)`. */
  digitalWrite(pins: unknown, value: unknown): PinResult<undefined> {
    if (Array.isArray(pins)) {
      const bits = Number(value);
      for (let i = pins.length - 1, bit = 0; i >= 0; i--, bit++) {
        const pin = this.resolve(pins[i]);
        if (pin === undefined) return { ok: false, error: "Invalid pin" };
        this.write(pin, ((bits >> bit) & 1) === 1);
      }
      return { ok: true, value: undefined };
    }
    const pin = this.resolve(pins);
    if (pin === undefined) return { ok: false, error: "Invalid pin" };
    this.write(pin, Boolean(value));
    return { ok: true, value: undefined };
  }

  /** `digitalRead(pin | pins)`. */
  digitalRead(pins: unknown): PinResult<number> {
    const list = Array.isArray(pins) ? pins : [pins];
    let value = 0;
    for (const item of list) {
      const pin = this.resolve(item);
      if (pin === undefined) return { ok: false, error: "Invalid pin" };
      value = (value << 1) | (this.read(pin) ? 1 : 0);
    }
    return { ok: true, value };
  }

  /** `digitalPulse(pin, value, ms | ms[])`. */
  digitalPulse(pinArg: unknown, valueArg: unknown, times: unknown): PinResult<undefined> {
    const pin = this.resolve(pinArg);
    if (pin === undefined) return { ok: false, error: "Invalid pin" };
    const now = this.host.scheduler.now();
    let value = Boolean(valueArg);
    const pending = (this.pulseEnds.get(pin) ?? -1) > now;
    let at = pending ? this.pulseEnds.get(pin)! : now;
    if (!pending) this.write(pin, value);
    const durations = typeof times === "number" ? [times] : Array.isArray(times) || ArrayBuffer.isView(times) ? Array.from(times as ArrayLike<unknown>, Number) : null;
    if (durations === null) return { ok: false, error: `Expecting Number or Array, got ${typeof times}` };
    if (typeof times === "number" && (times < 0 || Number.isNaN(times))) return { ok: false, error: "Pulse Time is less than 0 or not a number" };
    for (const ms of durations) {
      if (ms > 0) {
        at += this.host.clock.worldDuration(ms);
        this.schedulePinLevel(pin, at, !value);
      }
      value = !value;
    }
    return { ok: true, value: undefined };
  }

  private schedulePinLevel(pin: number, at: number, level: boolean): void {
    this.pulseEnds.set(pin, Math.max(at, this.pulseEnds.get(pin) ?? 0));
    const event = this.host.scheduler.at(at, () => {
      this.pulseEvents.delete(event);
      this.write(pin, level);
    });
    this.pulseEvents.add(event);
  }

  /** `setWatch(fn, pin, options)`; `isButton` selects Espruino's button defaults. */
  setWatch(callback: unknown, pinArg: unknown, options: unknown, isButton: boolean): PinResult<number> {
    const pin = this.resolve(pinArg);
    if (pin === undefined) return { ok: false, error: "Invalid pin" };
    let repeat = false;
    let edge = isButton ? 1 : 0;
    let debounceMs = isButton ? 25 : 0;
    if (typeof options === "object" && options !== null) {
      const o = options as { repeat?: unknown; debounce?: unknown; edge?: unknown };
      if (o.repeat !== undefined) repeat = Boolean(o.repeat);
      if (o.debounce !== undefined) {
        debounceMs = Number(o.debounce);
        if (Number.isNaN(debounceMs) || debounceMs < 0) debounceMs = 0;
      }
      if (o.edge !== undefined) {
        if (typeof o.edge === "number") edge = Math.sign(o.edge);
        else if (o.edge === "rising") edge = 1;
        else if (o.edge === "falling") edge = -1;
        else if (o.edge === "both") edge = 0;
        else return { ok: false, type: "TypeError", error: "'edge' in setWatch should be 1, -1, 0, 'rising', 'falling' or 'both'" };
      }
    } else repeat = Boolean(options);
    if (typeof callback !== "function") return { ok: false, error: "Function or String not supplied!" };
    const last = this.watches[this.watches.length - 1];
    const id = last ? last.id + 1 : 1;
    this.watches.push({ id, pin, callback, repeat, edge, debounceMs, state: this.read(pin), lastTime: undefined, debounce: null });
    return { ok: true, value: id };
  }

  /** `clearWatch(...args)`. */
  clearWatch(args: readonly unknown[]): PinResult<undefined> {
    if (args.length === 0) {
      for (const watch of this.watches) this.cancelDebounce(watch);
      this.watches = [];
      return { ok: true, value: undefined };
    }
    if (args[0] === undefined) return { ok: false, error: "clearWatch(undefined) not allowed. Use clearWatch() instead" };
    const index = this.watches.findIndex((watch) => watch.id === Number(args[0]));
    if (index < 0) return { ok: false, error: `Unknown Watch ${String(args[0])}` };
    this.cancelDebounce(this.watches[index]!);
    this.watches.splice(index, 1);
    return { ok: true, value: undefined };
  }

  /** The callbacks of the watches (for memory accounting). */
  watchCallbacks(): Function[] {
    return this.watches.map((watch) => watch.callback);
  }

  /** Number of watches. */
  watchCount(): number {
    return this.watches.length;
  }

  /** A reset: outputs low, pulses and watches gone (the button keeps its physical level). */
  reset(): void {
    for (const event of this.pulseEvents) this.host.scheduler.cancel(event);
    this.pulseEvents.clear();
    this.pulseEnds.clear();
    this.watches = [];
    this.pinObjects.clear();
    for (const pin of [...this.ledPins, ...(this.motorPin === null ? [] : [this.motorPin])]) this.write(pin, false);
  }

  private cancelDebounce(watch: Watch): void {
    if (watch.debounce) this.host.timers.remove(watch.debounce.timer.id);
    watch.debounce = null;
  }

  /** A level change on `pin` (Espruino's EXTI event handling). */
  private edge(pin: number, level: boolean): void {
    const now = this.host.scheduler.now();
    for (const watch of [...this.watches]) {
      if (watch.pin !== pin) continue;
      if (watch.debounceMs <= 0) {
        watch.state = level;
        this.fire(watch, level, now);
      } else if (watch.debounce) {
        watch.debounce.state = level;
        watch.debounce.edgeWorld = now;
        this.host.timers.reschedule(watch.debounce.timer, now + this.host.clock.worldDuration(watch.debounceMs));
      } else if (level !== watch.state) {
        this.startDebounce(watch, level, now);
      }
    }
  }

  private startDebounce(watch: Watch, level: boolean, now: number): void {
    const added = this.host.timers.add({ kind: "native", watch: true, run: () => this.debounced(watch) }, watch.debounceMs, false);
    if (!added.ok) return;
    watch.debounce = { timer: this.host.timers.get(added.id)!, state: level, edgeWorld: now };
  }

  private debounced(watch: Watch): void {
    const pending = watch.debounce;
    watch.debounce = null;
    if (!pending || pending.state === watch.state || !this.watches.includes(watch)) return;
    watch.state = pending.state;
    this.fire(watch, pending.state, pending.edgeWorld);
  }

  private fire(watch: Watch, state: boolean, edgeWorld: number): void {
    const time = this.host.clock.secondsAt(edgeWorld);
    const matches = watch.edge === 0 || (state && watch.edge > 0) || (!state && watch.edge < 0);
    if (matches) {
      if (!watch.repeat) this.watches.splice(this.watches.indexOf(watch), 1);
      const event = Object.assign(new this.host.realm.Object(), { state, time, lastTime: watch.lastTime, pin: this.pinObjects.get(watch.pin) ?? watch.pin });
      this.host.dispatch(watch.callback, [event]);
    }
    watch.lastTime = time;
  }
}
