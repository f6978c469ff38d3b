/**
 * Board profiles: what the Espruino 2v2x build for each board provides (espruino/Espruino boards/*.py) and the
 * battery it usually runs from.
 * - PUCKJS (boards/PUCKJS.py): 2630 JsVars, Storage 10 pages × 4 KB, SHA256 and AES built in, LED1 red (D5),
 *   LED2 green (D4), LED3 blue (D3), BTN1 (D0); `E.getBattery` from VDD: (V − 2.2) / 0.6 × 100
 *   (libs/puckjs/jswrap_puck.c). CR2032 coin cell.
 * - MDBT42Q (boards/MDBT42Q.py): 2950 JsVars, Storage 10 × 4 KB, SHA256 but no AES (`#'AES'` commented out),
 *   LED1 (D1) and LED2 (D2), BTN1 (D0), and no `E.getBattery` at all (it is only built for Puck.js, Pixl.js,
 *   Bangle.js or boards defining CUSTOM_GETBATTERY); `NRF.getBattery()` (volts) works. Modelled on a CR2477
 *   (1000 mAh, the "1000 mAh cell" of the design).
 * - BAND: a cheap nRF52832 fitness band running an Espruino build (the Bangle-style `CUSTOM_GETBATTERY`):
 *   no AES, one LED, a vibration motor on `VIBRATE`, a small LiPo.
 */

/** Board names known to the simulator. */
export type BoardName = "PUCKJS" | "MDBT42Q" | "BAND";

/** A battery's open-circuit voltage against depth of discharge (0 = full, 1 = empty), piecewise linear. */
export type DischargeCurve = readonly (readonly [depth: number, volts: number])[];

/** What a board gives the firmware and how it is powered. */
export interface BoardProfile {
  readonly name: BoardName;
  /** Prefix of the default advertised name ("Puck.js 1a2b"). */
  readonly namePrefix: string;
  /** JsVars in the interpreter (process.memory().total). */
  readonly jsVars: number;
  readonly storageBytes: number;
  readonly storagePageBytes: number;
  /** `require("crypto").AES` exists. */
  readonly aes: boolean;
  /** LED globals in order (LED1, LED2, ...) with their pin numbers. */
  readonly leds: readonly number[];
  readonly buttonPin: number;
  /** Pin of the vibration motor (exposed as `VIBRATE`), if any. */
  readonly motorPin: number | null;
  /** How `E.getBattery()` turns volts into percent; null: the function does not exist. */
  readonly batteryPercent: ((volts: number) => number) | null;
  readonly batteryMah: number;
  readonly discharge: DischargeCurve;
  /** Largest ATT MTU the build negotiates (NRF_BLE_MAX_MTU_SIZE). */
  readonly maxMtu: number;
}

/** CR2032/CR2477 lithium coin cells: flat near 2.9–3.0 V, then a knee near the end of life. */
const LITHIUM_COIN: DischargeCurve = [[0, 3.0], [0.1, 2.95], [0.8, 2.8], [0.9, 2.65], [0.97, 2.4], [1, 2.0]];
/** Single-cell LiPo under light load. */
const LIPO: DischargeCurve = [[0, 4.2], [0.1, 4.0], [0.5, 3.8], [0.85, 3.6], [0.95, 3.4], [1, 3.0]];

function clampPercent(value: number): number {
  return Math.max(0, Math.min(100, Math.trunc(value)));
}

/** The three supported boards. */
export const BOARDS: { readonly [name in BoardName]: BoardProfile } = {
  PUCKJS: {
    name: "PUCKJS",
    namePrefix: "Puck.js",
    jsVars: 2630,
    storageBytes: 40960,
    storagePageBytes: 4096,
    aes: true,
    leds: [5, 4, 3],
    buttonPin: 0,
    motorPin: null,
    batteryPercent: (volts) => clampPercent(((volts - 2.2) * 100) / 0.6),
    batteryMah: 230,
    discharge: LITHIUM_COIN,
    maxMtu: 53,
  },
  MDBT42Q: {
    name: "MDBT42Q",
    namePrefix: "MDBT42Q",
    jsVars: 2950,
    storageBytes: 40960,
    storagePageBytes: 4096,
    aes: false,
    leds: [1, 2],
    buttonPin: 0,
    motorPin: null,
    batteryPercent: null,
    batteryMah: 1000,
    discharge: LITHIUM_COIN,
    maxMtu: 53,
  },
  BAND: {
    name: "BAND",
    namePrefix: "Band",
    jsVars: 2630,
    storageBytes: 40960,
    storagePageBytes: 4096,
    aes: false,
    leds: [17],
    buttonPin: 15,
    motorPin: 25,
    batteryPercent: (volts) => clampPercent(((volts - 3.3) * 100) / 0.9),
    batteryMah: 100,
    discharge: LIPO,
    maxMtu: 53,
  },
};
