/**
 * What the wearer sees: a light pattern for each state, chosen from the tag's status. Elderly wearers
 * learn three things: green blink about once a minute = working (as TraceTogether's token), red blink =
 * needs attention (battery, clock, storage), blue triple blink with a buzz = exposure alert.
 */

/** Battery level (percent) under which the tag asks for a new battery. */
export var LOW_BATTERY_PERCENT = 15;

/** Cell voltage read as empty and as full (a CR2032 or Li-ion under the tag's light load). */
var EMPTY_VOLTS = 2.2;
var FULL_VOLTS = 3.0;

/** Battery percent from the cell voltage, for boards without E.getBattery (MDBT42Q). */
export function batteryPercentFromVolts(volts: number): number {
  var percent = Math.round(((volts - EMPTY_VOLTS) / (FULL_VOLTS - EMPTY_VOLTS)) * 100);
  return percent < 0 ? 0 : percent > 100 ? 100 : percent;
}

/** Short blink that says "working": long enough to see, short enough to cost under 1 µA. */
var HEARTBEAT_MS = 30;

/** What the tag knows about itself that the wearer should see. */
export interface TagStatus {
  clockSet: boolean;
  batteryPercent: number;
  storageFault: boolean;
  alert: boolean;
}

/** A light pattern: which colour, and on/off durations in ms starting with on (digitalPulse form). */
export interface LightPattern {
  colour: "green" | "red" | "blue";
  pulses: number[];
  /** Also run the vibration motor where the band has one. */
  buzz: boolean;
}

/** The reasons for a red light, in the order they are counted out on a button press. */
export function problems(status: TagStatus): string[] {
  var list: string[] = [];
  if (status.batteryPercent < LOW_BATTERY_PERCENT) list.push("battery");
  if (!status.clockSet) list.push("needs sync");
  if (status.storageFault) list.push("storage");
  return list;
}

/** The once-a-minute pattern. */
export function heartbeatPattern(status: TagStatus): LightPattern {
  if (status.alert) return { colour: "blue", pulses: [150, 150, 150, 150, 150], buzz: true };
  if (problems(status).length) return { colour: "red", pulses: [HEARTBEAT_MS], buzz: false };
  return { colour: "green", pulses: [HEARTBEAT_MS], buzz: false };
}

/**
 * The pattern shown when the wearer presses the button: one long green light when all is well;
 * otherwise the alert, or one red blink per problem so staff can tell which (1 battery, 2 clock, 3 storage).
 */
export function buttonPattern(status: TagStatus): LightPattern {
  if (status.alert) return { colour: "blue", pulses: [400, 200, 400, 200, 400], buzz: true };
  var found = problems(status);
  if (!found.length) return { colour: "green", pulses: [1000], buzz: false };
  var code = status.batteryPercent < LOW_BATTERY_PERCENT ? 1 : !status.clockSet ? 2 : 3;
  var pulses: number[] = [];
  for (var i = 0; i < code; i++) pulses.push(300, 300);
  pulses.pop();
  return { colour: "red", pulses: pulses, buzz: false };
}
