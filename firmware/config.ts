/**
 * Tag settings: what a gateway may change with "set config", and the defaults a tag boots with.
 * The scan and advertising defaults were chosen by measurement in the host runtime (npm run bench,
 * test/firmware/power-memory.test.ts): about 45 µA average while a contact of 5 minutes is still seen in
 * every 5-minute window.
 */

/** The tag's adjustable settings. */
export interface TagConfig {
  /** Broadcast and record Google/Apple Exposure Notification IDs. */
  gaen: boolean;
  /** Broadcast and record Bluezone IDs. */
  bluezone: boolean;
  /** Radio TX power in dBm, as set on the radio. */
  txPower: number;
  /**
   * Radiated power minus set power, dB (antenna and band losses or gains, measured per tag model): the
   * GAEN AEM carries the calibrated radiated power, txPower + txCalibrationDb, as phones do.
   */
  txCalibrationDb: number;
  /** Advertising interval in ms; GAEN asks for 200–270 ms. */
  advertIntervalMs: number;
  /** Time between scans while others are around, s. */
  scanPeriodS: number;
  /** Length of one scan, ms: longer than the slowest advertiser's gap (270 ms + 10 ms jitter). */
  scanWindowMs: number;
  /** Time between scans after several scans heard nobody, s (saves power when alone). */
  idleScanPeriodS: number;
  /** Empty scans in a row after which the tag backs off to idleScanPeriodS. */
  idleAfterEmptyScans: number;
}

/**
 * Every setting: name, default and, for a number, its allowed range [min, max] (a flag has none). The
 * index in this list names the setting in SET_CONFIG (sync-messages.ts): append only.
 */
var SETTINGS: [string, number | boolean, number?, number?][] = [
  ["gaen", true],
  ["bluezone", true],
  // −8 dBm: heard across a room rather than the village (fewer far records); with the −82 dBm sighting
  // floor (encounter.ts) other tags are logged out to 74 dB of attenuation (zonetag's rule: risk-rule.ts).
  ["txPower", -8, -20, 4],
  ["advertIntervalMs", 270, 200, 270],
  ["scanPeriodS", 240, 60, 300],
  ["scanWindowMs", 350, 100, 5000],
  ["idleScanPeriodS", 480, 60, 900],
  ["idleAfterEmptyScans", 3, 1, 20],
  ["txCalibrationDb", 0, -20, 10],
];

/** Setting names by their SET_CONFIG index. */
export var CONFIG_SETTINGS: string[] = [];
/** Defaults for a new tag. */
export var DEFAULT_CONFIG = {} as TagConfig;
for (var i = 0; i < SETTINGS.length; i++) {
  CONFIG_SETTINGS.push(SETTINGS[i][0]);
  (DEFAULT_CONFIG as any)[SETTINGS[i][0]] = SETTINGS[i][1];
}

/**
 * The config `current` with the changes in `patch` applied; null when the patch names an unknown setting,
 * gives a value of the wrong type or out of its range, or would turn both profiles off.
 */
export function applyConfig(current: TagConfig, patch: any): TagConfig | null {
  var next: any = {};
  var name: string;
  for (name in current) next[name] = (current as any)[name];
  for (name in patch) {
    var value = patch[name];
    var setting = SETTINGS[CONFIG_SETTINGS.indexOf(name)];
    // The default's type, and a number within its range (NaN is in none).
    var valid = setting && typeof value === typeof setting[1] && (setting.length < 3 || (value >= setting[2]! && value <= setting[3]!));
    if (!valid) return null;
    next[name] = value;
  }
  return next.gaen || next.bluezone ? next : null;
}
