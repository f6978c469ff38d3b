/**
 * The tag's UTC clock: whether it can be trusted, and what a gateway's "set time" tells about its drift.
 * A tag whose RTC restarted (battery change) reads a time near 1970 and broadcasts no exposure IDs until
 * a gateway sets it: IDs derived from a wrong time would never match.
 */

/** 2020-01-01T00:00:00Z, before any exposure notification existed: an earlier reading means the RTC restarted. */
export var EARLIEST_VALID_TIME = 1577836800;

/** Whether `nowSeconds` (getTime()) can be a real time. */
export function clockIsSet(nowSeconds: number): boolean {
  return nowSeconds >= EARLIEST_VALID_TIME;
}

/** What the tag remembers of the last time a gateway set its clock. */
export interface ClockRecord {
  /** Gateway time at the last set, unix s. */
  setAt: number;
  /** Tag time minus gateway time at that set, s (positive: the tag ran fast). */
  offsetS: number;
  /** Drift since the set before, parts per million (0 until a second set). */
  driftPpm: number;
}

/** The record after a gateway sets the clock to `gatewayTime` while the tag read `tagTime`. */
export function clockSet(previous: ClockRecord | null, tagTime: number, gatewayTime: number): ClockRecord {
  var offset = tagTime - gatewayTime;
  var drift = 0;
  // Drift is only meaningful when the tag's clock ran on its own since a previous set.
  if (previous && clockIsSet(tagTime) && gatewayTime > previous.setAt) {
    drift = Math.round((offset / (gatewayTime - previous.setAt)) * 1e6);
  }
  return { setAt: gatewayTime, offsetS: offset, driftPpm: drift };
}
