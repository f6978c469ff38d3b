/**
 * What the wearer sees: a light pattern for each condition of the tag. Elderly wearers learn three
 * things: green blink about once a minute = working (as TraceTogether's token), red blink = needs attention
 * (battery, clock, storage), blue triple blink with a buzz = exposure alert.
 */

/** Battery level (percent) under which the tag asks for a new battery. */
export var LOW_BATTERY_PERCENT = 15;

/** Cell voltage read as empty and as full (a CR2032 or Li-ion under the tag's light load). */
var EMPTY_VOLTS = 2.2;
var FULL_VOLTS = 3.0;

/** Short blink that says "working": long enough to see, short enough to cost under 1 µA. */
var HEARTBEAT_MS = 30;

/** Conditions: working, a problem (numbered as a button press counts them out in red), or the alert. */
var WORKING = 0;
var LOW_BATTERY = 1;
var CLOCK_LOST = 2;
var STORAGE_FAULT = 3;
var ALERT = 4;

/** Light colours, numbered as the LED that shows each on a Puck.js (lights.ts). */
export var RED = 1;
export var GREEN = 2;
/** The alert's colour: the band's motor buzzes with it. */
export var BLUE = 3;

/** Battery percent from the cell voltage, for boards without E.getBattery (MDBT42Q). */
export function batteryPercentFromVolts(volts: number): number {
  var percent = Math.round(((volts - EMPTY_VOLTS) / (FULL_VOLTS - EMPTY_VOLTS)) * 100);
  return percent < 0 ? 0 : percent > 100 ? 100 : percent;
}

/** What the wearer should be told, the most urgent first: the alert, then the first problem, else working. */
export function tagCondition(alert: boolean, batteryPercent: number, clockSet: boolean, storageFault: boolean): number {
  return alert ? ALERT : batteryPercent < LOW_BATTERY_PERCENT ? LOW_BATTERY : !clockSet ? CLOCK_LOST : storageFault ? STORAGE_FAULT : WORKING;
}

/** The colour that tells a condition: green working, red a problem, blue the alert. */
export function conditionColour(condition: number): number {
  return condition === ALERT ? BLUE : condition ? RED : GREEN;
}

/** `count` blinks of `onMs`, `offMs` apart, as digitalPulse durations (on, off, on, …). */
function blinks(count: number, onMs: number, offMs: number): number[] {
  var pulses = [onMs];
  while (--count > 0) pulses.push(offMs, onMs);
  return pulses;
}

/** The once-a-minute pattern: a short blink, or the alert's triple blink. */
export function heartbeatPulses(condition: number): number[] {
  return condition === ALERT ? blinks(3, 150, 150) : [HEARTBEAT_MS];
}

/**
 * The pattern shown when the wearer presses the button: one long light when working, the alert's three
 * long blinks, or one red blink per problem number so staff can tell which (1 battery, 2 clock, 3 storage).
 */
export function buttonPulses(condition: number): number[] {
  return condition === ALERT ? blinks(3, 400, 200) : condition ? blinks(condition, 300, 300) : [1000];
}
