/**
 * Per-tag power accounting on the virtual clock. Continuous draws (the radio's states, LEDs, motor) are
 * integrated over time; CPU work is charged per unit of modelled work. Figures (3 V supply):
 *
 * | state | figure | source |
 * |---|---|---|
 * | radio off (`NRF.sleep()`) | 3 µA | espruino.com Puck.js "Power Consumption" ("Not doing anything") |
 * | stack on, idle | 12 µA | same page ("watching the button") and the design contract |
 * | non-connectable advertising every 375 ms | 22 µA total | design contract (Puck.js page: 20 µA) |
 * | connectable (or scannable) advertising every 375 ms | 40 µA total | design contract |
 * | connected as peripheral | 600 µA | design contract; espruino/Espruino#2635 (600 µA at 7.5 ms interval) |
 * | scanning | 12 mA × window/interval | Puck.js page ("using NRF.findDevices ... 12000uA") |
 * | CPU running JavaScript | 4 mA | Puck.js page ("100% CPU usage running JavaScript - 4000uA") |
 * | one LED lit | 1.5 mA | Puck.js page ("One LED lit - 1000-2000uA"), mid value |
 * | vibration motor | 70 mA | typical 10 mm coin ERM motors at 3 V (datasheets quote 60–90 mA) |
 *
 * Advertising is charged per advertising event: an event is (interval + 5 ms mean advDelay) apart, and the
 * charge per event is what makes the 375 ms figures above come out: (22 − 12) µA × 0.380 s = 3.8 µC
 * transmit-only, (40 − 12) µA × 0.380 s = 10.64 µC when the radio also listens (connectable or scannable).
 * TX power does not change these figures.
 *
 * CPU time is a deterministic cost model (the host's own speed never enters): 2 ms per callback dispatched
 * into JavaScript (wake-up, event queue and a short handler: Espruino interprets from source at roughly
 * 4000 simple loop iterations/s, espruino.com "Performance"), 0.1 ms per native crypto call plus 0.05 ms per
 * SHA-256 block and 0.02 ms per AES block (mbedTLS on a 64 MHz Cortex-M4), all at 4 mA.
 */
import type { Scheduler } from "./scheduler";

/** What draws current. */
export type PowerComponent = "base" | "advertising" | "scanning" | "connection" | "cpu" | "leds" | "motor";

/** All components, in report order. */
export const POWER_COMPONENTS: readonly PowerComponent[] = ["base", "advertising", "scanning", "connection", "cpu", "leds", "motor"];

/** Radio stack off (`NRF.sleep()`). */
export const SLEEP_UA = 3;
/** Stack on, nothing else. */
export const IDLE_UA = 12;
/** Mean gap added by the link layer's advDelay (0–10 ms) to every advertising interval. */
export const ADV_DELAY_MEAN_MS = 5;
/** Charge of one advertising event that only transmits. */
export const ADV_EVENT_TX_UC = (22 - IDLE_UA) * (0.375 + ADV_DELAY_MEAN_MS / 1000);
/** Charge of one advertising event that also listens for scan or connect requests. */
export const ADV_EVENT_TXRX_UC = (40 - IDLE_UA) * (0.375 + ADV_DELAY_MEAN_MS / 1000);
/** Extra draw while a central is connected (600 µA in total with the idle stack). */
export const CONNECTION_UA = 600 - IDLE_UA;
/** Receiver on. */
export const SCAN_UA = 12000;
/** CPU running. */
export const CPU_UA = 4000;
/** One LED lit. */
export const LED_UA = 1500;
/** Vibration motor running. */
export const MOTOR_UA = 70000;
/** Modelled CPU time of dispatching one callback into JavaScript. */
export const CALLBACK_CPU_MS = 2;
/** Modelled CPU time of one native crypto call, before its per-block work. */
export const NATIVE_CALL_CPU_MS = 0.1;
/** Modelled CPU time per 64-byte SHA-256 block. */
export const SHA256_BLOCK_CPU_MS = 0.05;
/** Modelled CPU time per 16-byte AES block. */
export const AES_BLOCK_CPU_MS = 0.02;

/** Average current of advertising alone (excluding the idle stack), for an interval and event kind. */
export function advertisingMicroAmps(intervalMs: number, listens: boolean): number {
  const charge = listens ? ADV_EVENT_TXRX_UC : ADV_EVENT_TX_UC;
  return charge / ((intervalMs + ADV_DELAY_MEAN_MS) / 1000);
}

/** A power figure over a window of virtual time. */
export interface PowerReport {
  averageMicroAmps: number;
  /** Average µA per component over the window. */
  breakdown: Record<PowerComponent, number>;
  elapsedSeconds: number;
  chargeMicroCoulombs: number;
}

/** Accumulates one tag's charge. */
export class PowerMeter {
  private readonly levels = zeroes();
  private readonly windowCharge = zeroes();
  private lifetime = 0;
  private settledAt: number;
  private windowStart: number;

  constructor(private readonly scheduler: Scheduler) {
    this.settledAt = scheduler.now();
    this.windowStart = this.settledAt;
  }

  /** Sets a continuous draw from now on. */
  setLevel(component: PowerComponent, microAmps: number): void {
    if (this.levels[component] === microAmps) return;
    this.settle();
    this.levels[component] = microAmps;
  }

  /** The current continuous draw of a component. */
  level(component: PowerComponent): number {
    return this.levels[component];
  }

  /** Adds a discrete charge. */
  addCharge(component: PowerComponent, microCoulombs: number): void {
    this.windowCharge[component] += microCoulombs;
    this.lifetime += microCoulombs;
  }

  /** Charges `ms` of CPU time. */
  cpu(ms: number): void {
    this.addCharge("cpu", (CPU_UA * ms) / 1000);
  }

  /** Total charge drawn since the meter was created (µC), for the battery. */
  lifetimeCharge(): number {
    this.settle();
    return this.lifetime;
  }

  /** Averages since the last reset (or creation). */
  report(): PowerReport {
    this.settle();
    const elapsedSeconds = (this.scheduler.now() - this.windowStart) / 1000;
    const breakdown = zeroes();
    let total = 0;
    for (const component of POWER_COMPONENTS) {
      total += this.windowCharge[component];
      breakdown[component] = elapsedSeconds > 0 ? this.windowCharge[component] / elapsedSeconds : 0;
    }
    return { averageMicroAmps: elapsedSeconds > 0 ? total / elapsedSeconds : 0, breakdown, elapsedSeconds, chargeMicroCoulombs: total };
  }

  /** Starts a new report window now. */
  reset(): void {
    this.settle();
    for (const component of POWER_COMPONENTS) this.windowCharge[component] = 0;
    this.windowStart = this.scheduler.now();
  }

  private settle(): void {
    const now = this.scheduler.now();
    const seconds = (now - this.settledAt) / 1000;
    if (seconds <= 0) return;
    for (const component of POWER_COMPONENTS) {
      const charge = this.levels[component] * seconds;
      this.windowCharge[component] += charge;
      this.lifetime += charge;
    }
    this.settledAt = now;
  }
}

function zeroes(): Record<PowerComponent, number> {
  return { base: 0, advertising: 0, scanning: 0, connection: 0, cpu: 0, leds: 0, motor: 0 };
}
