/**
 * One simulated tag: an Espruino 2v2x board running a program in its own `vm` context on the shared virtual
 * clock. The boot model is the device's: `flash(program)` stores the program as `.bootcde` in Storage (what
 * the Espruino tools' "save on send" does), as plain JavaScript or as the pretokenised bytes the tools upload;
 * a boot creates a fresh context (RAM is lost), checks Storage, runs `.bootcde` (read as Espruino's lexer
 * reads it: bytes ≥ 0x80 outside literals are tokens, see tools/build/pretokenise.ts), then fires
 * `E.on('init')` and `onInit()`. Callbacks are called directly (no per-event
 * compilation); an exception nobody catches prints "Uncaught ..." and the tag carries on, as on Espruino.
 *
 * Resets: `reboot()` (and `E.reboot()`, the watchdog) is a soft reset — RAM lost, Storage kept, the clock
 * continues from its last read, and a running watchdog keeps running (the nRF52 WDT survives soft resets; the
 * program must kick or re-enable it). `powerCycle()` (battery change) also loses the clock and stops the WDT.
 * The watchdog resets a tag that stops kicking it: in automatic mode Espruino kicks it from its idle loop,
 * so only a hung tag (`hang()`: JavaScript stuck, CPU at 100 %) is reset; in manual mode the program must
 * call `E.kickWatchdog()` within the timeout.
 */
import vm from "node:vm";
import { detokenise } from "../../tools/build/pretokenise";
import { Battery } from "./battery";
import { BOARDS, type BoardName, type BoardProfile } from "./boards";
import { stringBytes } from "./bytes";
import { TagClock } from "./clock";
import { cryptoModule } from "./crypto";
import { EventListeners } from "./events";
import { formatPrint, formatResult, formatUncaught } from "./format";
import { JsVarEstimator } from "./memory";
import { type ConnectResult, type ConsoleRouting, NrfRadio } from "./nrf";
import { PinBank } from "./pins";
import { CALLBACK_CPU_MS, CPU_UA, POWER_COMPONENTS, PowerMeter } from "./power";
import { Random, type Seed } from "./random";
import { contextRealm, HOST_REALM, type Realm } from "./realm";
import type { ScheduledEvent, Scheduler } from "./scheduler";
import { FlashStorage, PowerCutError } from "./storage";
import { type TimerAction, Timers } from "./timers";

/** Storage file Espruino runs at boot. */
export const BOOT_CODE_FILE = ".bootcde";
/** Firmware version the runtime stands for. */
export const ESPRUINO_VERSION = "2v25";
/** Globals V8 has and Espruino lacks (the design's subset list): removed so a program using them fails here too. */
const MISSING_GLOBALS = ["Map", "Set", "WeakMap", "WeakSet", "Symbol", "Proxy", "Reflect", "BigInt", "WeakRef", "FinalizationRegistry", "Intl", "Atomics", "SharedArrayBuffer"];
/** Built-in methods Espruino lacks. */
const MISSING_METHODS = "delete Array.from; delete Math.trunc; delete Number.isInteger; delete Promise.prototype.finally; delete Promise.race;";
/** JsVars of the runtime's record of one timer / one watch / one listener. */
const TIMER_VARS = 5;
const WATCH_VARS = 8;
const LISTENER_VARS = 1;
/** Espruino's block size (bytes per JsVar) on these boards. */
const JSVAR_BYTES = 13;

let contextCounter = 0;

/** How to build a tag. */
export interface HostTagOptions {
  readonly scheduler: Scheduler;
  readonly board?: BoardName;
  /** Seed of everything random on this tag (hwRand, Math.random, advertising jitter, factory address). */
  readonly seed?: Seed;
  /** Label for logs (default: from the seed). */
  readonly name?: string;
  /** RTC crystal error in ppm. */
  readonly driftPpm?: number;
  /** Battery capacity instead of the board's usual cell. */
  readonly batteryMah?: number;
  /** What E.getTemperature() reads. */
  readonly temperatureC?: number;
  /** Console lines kept (older ones are dropped). */
  readonly consoleLimit?: number;
  /** How long past advertising configurations stay queryable (ms). */
  readonly radioHistoryMs?: number;
}

/** Whether the tag runs. */
export type TagState = "off" | "running" | "hung";

/** A line the tag printed. */
export interface ConsoleLine {
  /** World time (ms). */
  readonly time: number;
  readonly text: string;
}

/** An exception that reached the top of a callback. */
export interface UncaughtError {
  readonly time: number;
  /** The console line ("Uncaught Error: ..."). */
  readonly text: string;
  readonly error: unknown;
}

/** Why the interpreter (re)started. */
export type ResetReason = "power-on" | "reboot" | "watchdog";

/** A (re)start of the interpreter. */
export interface ResetRecord {
  readonly time: number;
  readonly reason: ResetReason;
}

/** process.memory() figures. */
export interface MemoryReport {
  readonly usage: number;
  readonly total: number;
  readonly free: number;
}

interface Watchdog {
  readonly timeoutMs: number;
  auto: boolean;
  lastKick: number;
  event: ScheduledEvent | null;
}

/** Thrown through the program's stack when it calls E.reboot(). */
class RebootSignal extends Error {}

/** One Espruino tag. */
export class HostTag {
  readonly name: string;
  readonly board: BoardProfile;
  readonly scheduler: Scheduler;
  readonly storage: FlashStorage;
  readonly clock: TagClock;
  readonly power: PowerMeter;
  readonly battery: Battery;
  readonly radio: NrfRadio;
  readonly timers: Timers;
  readonly pins: PinBank;
  /** Console output, oldest first (bounded by consoleLimit). */
  readonly output: ConsoleLine[] = [];
  /** Uncaught exceptions, oldest first. */
  readonly errors: UncaughtError[] = [];
  /** Interpreter starts, oldest first. */
  readonly resets: ResetRecord[] = [];
  /** Where the console is. */
  readonly console: ConsoleRouting = { device: "Serial1", forced: false };
  /** What E.getTemperature() reads (°C). */
  temperatureC: number;

  private status: TagState = "off";
  private generation = 0;
  private wakeEvent: ScheduledEvent | null = null;
  private watchdog: Watchdog | null = null;
  private context: vm.Context | null = null;
  private contextName = "";
  private currentRealm: Realm = HOST_REALM;
  private estimator: JsVarEstimator | null = null;
  private readonly eListeners = new EventListeners();
  private readonly random: Random;
  private readonly mathRandom: Random;
  private readonly consoleLimit: number;
  private readonly drain = new vm.Script("undefined");
  private microtasksQueued = false;
  /** Objects the runtime gave the program (module objects, pins): part of the firmware, not of its RAM. */
  private runtimeObjects = new WeakSet<object>();

  constructor(options: HostTagOptions) {
    const seed = options.seed ?? 0;
    this.name = options.name ?? `tag-${String(seed)}`;
    this.board = BOARDS[options.board ?? "PUCKJS"];
    this.scheduler = options.scheduler;
    this.temperatureC = options.temperatureC ?? 21;
    this.consoleLimit = options.consoleLimit ?? 1000;
    this.random = new Random(seed, 1);
    this.mathRandom = new Random(seed, 2);
    this.clock = new TagClock(this.scheduler, options.driftPpm ?? 0);
    this.power = new PowerMeter(this.scheduler);
    this.battery = new Battery(this.power, options.batteryMah ?? this.board.batteryMah, this.board.discharge);
    this.storage = new FlashStorage({ bytes: this.board.storageBytes, pageBytes: this.board.storagePageBytes });
    this.storage.log = (line) => this.print(line);
    this.storage.onPowerCut = () => this.powerDown();
    this.timers = new Timers(this);
    this.pins = new PinBank(this, this.board.leds, this.board.motorPin);
    this.radio = new NrfRadio(this, seed, options.radioHistoryMs ?? 15 * 60_000);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Stores the boot code (as "save on send" does): plain JavaScript, or pretokenised bytes stored as they are. */
  flash(program: string | Uint8Array): void {
    this.storage.write(BOOT_CODE_FILE, program);
  }

  /** First power-on (battery inserted): boots from Storage. */
  boot(): void {
    if (this.status !== "off") throw new Error(`${this.name} is already on`);
    this.clock.powerOn();
    this.start("power-on");
  }

  /** A soft reset now (as E.reboot() does). */
  reboot(): void {
    this.softReset("reboot");
  }

  /** Battery removed and put back (or replaced): RAM and, unless told otherwise, the clock are lost. */
  powerCycle(options: { clockLost?: boolean; freshBattery?: boolean } = {}): void {
    this.powerDown();
    if (options.freshBattery ?? true) this.battery.replace();
    if (options.clockLost ?? true) this.clock.powerOn();
    this.start("power-on");
  }

  /** The program gets stuck (an endless loop): no more callbacks, CPU busy; only the watchdog can help. */
  hang(): void {
    if (this.status !== "running") return;
    this.status = "hung";
    this.power.setLevel("cpu", CPU_UA);
  }

  /** Running, hung or off. */
  get state(): TagState {
    return this.status;
  }

  // ---------------------------------------------------------------- inputs and outputs

  /** Presses the button for `ms` (default 100 ms). */
  pressButton(ms = 100): void {
    this.pins.write(this.board.buttonPin, true);
    this.scheduler.after(ms, () => this.pins.write(this.board.buttonPin, false));
  }

  /** Whether LED n (1-based, as LED1...) is lit. */
  led(n: number): boolean {
    const pin = this.board.leds[n - 1];
    return pin !== undefined && this.pins.read(pin);
  }

  /** Whether the vibration motor runs. */
  motorOn(): boolean {
    return this.board.motorPin !== null && this.pins.read(this.board.motorPin);
  }

  /** The console output as one text. */
  outputText(): string {
    return this.output.map((line) => line.text).join("\n");
  }

  /** A global of the running program (undefined when not running). */
  global(name: string): unknown {
    return this.context ? (this.context as Record<string, unknown>)[name] : undefined;
  }

  /** Runs code in the program's context (like typing it at the REPL); exceptions propagate to the caller. */
  evaluate(code: string): unknown {
    if (this.status !== "running" || !this.context) throw new Error(`${this.name} is not running`);
    this.power.cpu(CALLBACK_CPU_MS);
    this.clock.touch();
    try {
      return vm.runInContext(code, this.context);
    } catch (error) {
      if (error instanceof RebootSignal) return undefined; // E.reboot(): the reset is scheduled
      throw error;
    } finally {
      this.afterCallback();
    }
  }

  /** A central (the gateway) connects over GATT; see NrfRadio.connect. */
  connect(options: { mtu?: number; address?: string } = {}): ConnectResult {
    return this.radio.connect(options);
  }

  /** JsVars the program holds (process.memory()). */
  memory(): MemoryReport {
    const usage = this.estimator ? this.estimator.estimate(this.memoryRoots()) : 0;
    return { usage, total: this.board.jsVars, free: this.board.jsVars - usage };
  }

  // ---------------------------------------------------------------- services for the runtime's parts

  /** Realm of the running program. */
  get realm(): Realm {
    return this.currentRealm;
  }

  /** Whether the hardware has power. */
  isPowered(): boolean {
    return this.status !== "off";
  }

  /** Whether the program runs events. */
  isResponsive(): boolean {
    return this.status === "running";
  }

  /** Runs a callback of the program as one event: CPU time, clock read, automatic watchdog kick, errors. */
  dispatch(callback: Function, args: readonly unknown[]): void {
    if (this.status !== "running") return;
    this.power.cpu(CALLBACK_CPU_MS);
    this.clock.touch();
    if (this.watchdog?.auto) this.watchdog.lastKick = this.scheduler.now();
    try {
      Reflect.apply(callback, undefined, args);
    } catch (error) {
      this.uncaught(error);
    }
    this.afterCallback();
  }

  /** Makes sure the tag wakes at world time `time` to run its timers. */
  wakeAt(time: number): void {
    if (this.wakeEvent && this.wakeEvent.time <= time) return;
    if (this.wakeEvent) this.scheduler.cancel(this.wakeEvent);
    const generation = this.generation;
    this.wakeEvent = this.scheduler.at(time, () => {
      this.wakeEvent = null;
      if (generation === this.generation) this.wake();
    });
  }

  /** Prints a console line (and sends it over Bluetooth when the console is there). */
  print(text: string): void {
    this.output.push({ time: this.scheduler.now(), text });
    if (this.output.length > 2 * this.consoleLimit) this.output.splice(0, this.output.length - this.consoleLimit);
    this.radio.consoleOutput(text + "\r\n");
  }

  /** One line of REPL input (from the Bluetooth UART): the result line and prompt, as Espruino prints them. */
  evaluateRepl(line: string): string {
    if (this.status !== "running" || !this.context) return "";
    this.power.cpu(CALLBACK_CPU_MS);
    this.clock.touch();
    let output: string;
    try {
      output = "=" + formatResult(vm.runInContext(line, this.context)) + "\r\n>";
    } catch (error) {
      this.uncaught(error);
      output = ">";
    }
    this.afterCallback();
    return output;
  }

  // ---------------------------------------------------------------- internals

  private wake(): void {
    if (this.status !== "running") return;
    if (this.battery.isFlat()) {
      this.print("Battery flat");
      this.powerDown();
      return;
    }
    this.timers.run(this.scheduler.now());
    const next = this.timers.nextDue();
    if (next !== null && this.status === "running") this.wakeAt(next);
  }

  private afterCallback(): void {
    if (this.microtasksQueued && this.context) {
      this.microtasksQueued = false;
      this.drain.runInContext(this.context);
    }
  }

  private uncaught(error: unknown): void {
    if (error instanceof PowerCutError) return; // the tag is already off
    if (error instanceof RebootSignal) return; // the reset is scheduled
    const text = formatUncaught(error);
    this.errors.push({ time: this.scheduler.now(), text, error });
    this.print(text);
  }

  private softReset(reason: ResetReason): void {
    if (this.status === "off") return;
    this.clock.softReset();
    if (this.watchdog) this.watchdog.auto = false; // Espruino's status flags are RAM
    this.start(reason);
  }

  /** Power gone: everything stops, the watchdog too. */
  private powerDown(): void {
    this.status = "off";
    this.generation++;
    if (this.wakeEvent) this.scheduler.cancel(this.wakeEvent);
    this.wakeEvent = null;
    this.stopWatchdog();
    this.timers.reset();
    this.pins.reset();
    this.radio.powerOff();
    for (const component of POWER_COMPONENTS) this.power.setLevel(component, 0);
  }

  /** Starts the interpreter: fresh context, Storage check, boot code, init events. */
  private start(reason: ResetReason): void {
    this.generation++;
    if (this.wakeEvent) this.scheduler.cancel(this.wakeEvent);
    this.wakeEvent = null;
    this.status = "running";
    this.power.setLevel("cpu", 0);
    this.resets.push({ time: this.scheduler.now(), reason });
    this.timers.reset();
    this.pins.reset();
    this.eListeners.clear();
    this.console.device = "Serial1";
    this.console.forced = false;
    this.runtimeObjects = new WeakSet();
    this.createContext();
    this.radio.reset();
    this.installGlobals();
    this.storage.mount();
    const code = this.bootCode();
    this.estimator = this.createEstimator(code ?? "");
    if (code !== undefined) this.runBootCode(code);
    for (const listener of this.eListeners.of("init")) this.dispatch(listener, []);
    const onInit = this.global("onInit");
    if (typeof onInit === "function") this.dispatch(onInit, []);
    const next = this.timers.nextDue();
    if (next !== null) this.wakeAt(next);
  }

  /** `.bootcde` as JavaScript (undefined when absent, or unreadable: reported as Espruino reports a syntax error). */
  private bootCode(): string | undefined {
    const stored = this.storage.read(BOOT_CODE_FILE);
    if (stored === undefined) return undefined;
    try {
      return detokenise(stringBytes(stored));
    } catch (error) {
      this.uncaught(error);
      return undefined;
    }
  }

  private runBootCode(code: string): void {
    this.power.cpu(CALLBACK_CPU_MS);
    try {
      new vm.Script(code, { filename: BOOT_CODE_FILE }).runInContext(this.context!);
    } catch (error) {
      this.uncaught(error);
    }
    this.afterCallback();
  }

  private createContext(): void {
    this.contextName = `zonetag:${this.name}:${++contextCounter}`;
    this.context = vm.createContext({}, { name: this.contextName, microtaskMode: "afterEvaluate" });
    this.currentRealm = contextRealm(this.context);
    this.storage.realm = this.currentRealm;
    const patch = vm.runInContext(
      `(function (now, random, thenUsed) {
        Math.random = random;
        ${MISSING_GLOBALS.map((g) => `delete globalThis.${g};`).join(" ")}
        ${MISSING_METHODS}
        var then = Promise.prototype.then;
        Promise.prototype.then = function (a, b) { thenUsed(); return then.call(this, a, b); };
        const RealDate = Date;
        class TagDate extends RealDate {
          constructor(...args) { if (args.length === 0) super(now()); else super(...args); }
          static now() { return now(); }
        }
        globalThis.Date = TagDate;
      })`,
      this.context,
    ) as (now: () => number, random: () => number, thenUsed: () => void) => void;
    patch(
      () => this.clock.getTime() * 1000,
      () => this.mathRandom.next(),
      () => {
        this.microtasksQueued = true;
      },
    );
  }

  private installGlobals(): void {
    const g = this.context as Record<string, unknown>;
    const realm = this.currentRealm;
    const fail = (message: string, type: "Error" | "TypeError" = "Error"): never => {
      throw new realm[type](message);
    };
    g.global = g;
    g.print = (...args: unknown[]) => this.print(formatPrint(args));
    const consoleObject = new realm.Object() as Record<string, unknown>;
    for (const method of ["log", "info", "warn", "error", "debug"]) consoleObject[method] = g.print;
    g.console = this.runtime(consoleObject);
    g.getTime = () => this.clock.getTime();
    g.setTime = (seconds: unknown) => this.clock.setTime(Number(seconds));
    g.setTimeout = (callback: unknown, ms?: unknown, ...args: unknown[]) => this.addTimer(callback, ms, args, false, fail);
    g.setInterval = (callback: unknown, ms?: unknown, ...args: unknown[]) => this.addTimer(callback, ms, args, true, fail);
    g.clearTimeout = (...ids: unknown[]) => this.clearTimer(ids, "Timeout", fail);
    g.clearInterval = (...ids: unknown[]) => this.clearTimer(ids, "Interval", fail);
    this.board.leds.forEach((pin, i) => {
      g[`LED${i + 1}`] = this.runtime(this.pins.pinObject(pin));
    });
    g.BTN1 = this.runtime(this.pins.pinObject(this.board.buttonPin));
    if (this.board.motorPin !== null) g.VIBRATE = this.runtime(this.pins.pinObject(this.board.motorPin));
    g.digitalWrite = (pins: unknown, value: unknown) => unwrap(this.pins.digitalWrite(pins, value), fail);
    g.digitalRead = (pins: unknown) => unwrap(this.pins.digitalRead(pins), fail);
    g.digitalPulse = (pin: unknown, value: unknown, times: unknown) => unwrap(this.pins.digitalPulse(pin, value, times), fail);
    g.setWatch = (callback: unknown, pin: unknown, options?: unknown) => {
      const fn = typeof callback === "string" ? this.compile(callback) : callback;
      return unwrap(this.pins.setWatch(fn, pin, options, this.pins.resolve(pin) === this.board.buttonPin), fail);
    };
    g.clearWatch = (...args: unknown[]) => unwrap(this.pins.clearWatch(args), fail);
    g.NRF = this.runtime(this.radio.module());
    g.E = this.runtime(this.eModule(fail));
    g.process = this.runtime(this.processModule());
    const crypto = cryptoModule({ realm, print: (line) => this.print(line), chargeCpu: (ms) => this.power.cpu(ms) }, this.board.aes) as { AES?: object };
    if (crypto.AES) this.runtime(crypto.AES);
    const modules = new Map<string, object>([
      ["Storage", this.runtime(this.storageModule())],
      ["crypto", this.runtime(crypto)],
    ]);
    g.require = (name: unknown) => modules.get(String(name)) ?? fail(`Module ${String(name)} not found`);
  }

  /** Marks an object as the runtime's own. */
  private runtime<T extends object>(value: T): T {
    this.runtimeObjects.add(value);
    return value;
  }

  private eModule(fail: (message: string) => never): object {
    const e = new this.currentRealm.Object() as Record<string, unknown>;
    e.hwRand = () => this.random.uint32() | 0;
    const percent = this.board.batteryPercent;
    if (percent) e.getBattery = () => percent(this.battery.volts());
    e.getTemperature = () => Math.round(this.temperatureC * 4) / 4;
    e.enableWatchdog = (timeout: unknown, isAuto?: unknown) => this.enableWatchdog(Number(timeout), isAuto === undefined || Boolean(isAuto));
    e.kickWatchdog = () => this.kickWatchdog();
    e.setConsole = (device: unknown, options?: unknown) => {
      if (device !== null && device !== "Serial1" && device !== "Bluetooth") fail(`Unknown device type ${JSON.stringify(device)}`);
      this.console.device = device as string | null;
      this.console.forced = Boolean(options && (options as { force?: unknown }).force);
    };
    e.getConsole = () => this.console.device;
    e.reboot = () => {
      const generation = this.generation;
      this.status = "hung"; // nothing more runs until the reset below
      this.scheduler.at(this.scheduler.now(), () => {
        if (generation === this.generation) this.softReset("reboot");
      });
      throw new RebootSignal();
    };
    this.eListeners.install(e);
    return e;
  }

  private processModule(): object {
    const process = new this.currentRealm.Object() as Record<string, unknown>;
    process.version = ESPRUINO_VERSION;
    process.env = Object.assign(new this.currentRealm.Object(), { VERSION: ESPRUINO_VERSION, BOARD: this.board.name });
    process.memory = () => {
      const report = this.memory();
      return Object.assign(new this.currentRealm.Object(), { free: report.free, usage: report.usage, total: report.total, history: 0, gc: 0, gctime: 0, blocksize: JSVAR_BYTES });
    };
    return process;
  }

  private storageModule(): object {
    const storage = this.storage;
    const module = new this.currentRealm.Object() as Record<string, unknown>;
    module.read = (name: string, offset?: number, length?: number) => storage.read(name, offset, length);
    module.readArrayBuffer = (name: string) => storage.readArrayBuffer(name);
    module.readJSON = (name: string, noExceptions?: boolean) => storage.readJSON(name, noExceptions);
    module.write = (name: string, data: unknown, offset?: number, size?: number) => storage.write(name, data as string, offset, size);
    module.writeJSON = (name: string, data: unknown) => storage.writeJSON(name, data);
    module.erase = (name: string) => storage.erase(name);
    module.list = (regex?: RegExp, filter?: { sf?: boolean }) => storage.list(regex, filter);
    module.getFree = () => storage.getFree();
    module.getStats = () => storage.getStats();
    module.compact = () => storage.compact();
    return module;
  }

  private addTimer(callback: unknown, ms: unknown, args: unknown[], repeat: boolean, fail: (message: string) => never): number {
    const fn = typeof callback === "string" ? this.compile(callback) : callback;
    if (typeof fn !== "function") return fail("Function or String not supplied!");
    const action: TimerAction = { kind: "js", callback: fn, args };
    const added = this.timers.add(action, ms === undefined ? NaN : Number(ms), repeat);
    return added.ok ? added.id : fail(added.error);
  }

  private clearTimer(ids: unknown[], kind: "Timeout" | "Interval", fail: (message: string) => never): void {
    if (ids.length === 0) return this.timers.clearAll();
    if (ids[0] === undefined) fail(`clear${kind}(undefined) not allowed. Use clear${kind}() instead`);
    this.timers.remove(Number(ids[0]));
  }

  /** A string callback (setTimeout("code", ms)) as a function of the program's context. */
  private compile(code: string): Function {
    return vm.runInContext(`(function () {\n${code}\n})`, this.context!) as Function;
  }

  private enableWatchdog(timeoutSeconds: number, auto: boolean): void {
    const now = this.scheduler.now();
    if (this.watchdog) {
      // The nRF52 WDT cannot be reconfigured once started: only the mode changes.
      this.watchdog.auto = auto;
      this.watchdog.lastKick = now;
    } else {
      this.watchdog = { timeoutMs: this.clock.worldDuration(timeoutSeconds * 1000), auto, lastKick: now, event: null };
    }
    this.armWatchdog();
  }

  private kickWatchdog(): void {
    if (!this.watchdog) return;
    this.watchdog.lastKick = this.scheduler.now();
    // A check already planned re-arms itself from the latest kick: no queue work at every kick.
    if (!this.watchdog.event) this.armWatchdog();
  }

  private armWatchdog(): void {
    const dog = this.watchdog;
    if (!dog) return;
    if (dog.event) this.scheduler.cancel(dog.event);
    dog.event = this.scheduler.at(dog.lastKick + dog.timeoutMs, () => {
      dog.event = null;
      if (this.watchdog !== dog || this.status === "off") return;
      const now = this.scheduler.now();
      if (this.status === "running" && dog.auto) dog.lastKick = now; // the idle loop wakes to kick it in time
      if (now >= dog.lastKick + dog.timeoutMs) {
        this.stopWatchdog(); // a watchdog reset resets the watchdog
        this.softReset("watchdog");
      } else this.armWatchdog();
    });
  }

  private stopWatchdog(): void {
    if (this.watchdog?.event) this.scheduler.cancel(this.watchdog.event);
    this.watchdog = null;
  }

  /** The memory estimator of this boot: the globals installed so far and the runtime's objects cost nothing. */
  private createEstimator(bootCode: string): JsVarEstimator {
    const programFunction = vm.runInContext("Function", this.context!) as FunctionConstructor;
    const runtime = this.runtimeObjects;
    const isRuntime = (value: object): boolean => runtime.has(value) || (typeof value === "function" && !(value instanceof programFunction));
    const builtins = new Set(Object.getOwnPropertyNames(this.context));
    return new JsVarEstimator(this.context as Record<string, unknown>, this.contextName, builtins, bootCode, isRuntime);
  }

  private memoryRoots(): { values: unknown[]; fixedVars: number } {
    const radio = this.radio.memoryRoots();
    const values: unknown[] = [...radio.values, ...this.eListeners.all(), ...this.pins.watchCallbacks()];
    let fixedVars = radio.fixedVars + LISTENER_VARS * this.eListeners.all().length + WATCH_VARS * this.pins.watchCount();
    for (const timer of this.timers.entries()) {
      fixedVars += TIMER_VARS;
      if (timer.action.kind === "js") values.push(timer.action.callback, ...timer.action.args);
    }
    return { values, fixedVars };
  }
}

/** The value of a pin request, or Espruino's exception. */
function unwrap<T>(result: { ok: true; value: T } | { ok: false; error: string; type?: "TypeError" }, fail: (message: string, type?: "Error" | "TypeError") => never): T {
  return result.ok ? result.value : fail(result.error, result.type);
}
