/**
 * Shows a light pattern on the board's LEDs (and its vibration motor where the band has one).
 * Puck.js: LED1 red, LED2 green, LED3 blue. Boards without a blue LED show blue patterns on red.
 */
import { LightPattern } from "../feedback";

/** The pin of a colour on this board. */
function ledOf(colour: string): Pin {
  if (colour === "green") return typeof LED2 !== "undefined" ? LED2 : LED1;
  if (colour === "blue") return typeof LED3 !== "undefined" ? LED3 : LED1;
  return LED1;
}

/** Plays `pattern` without blocking (digitalPulse runs on the hardware timer). */
export function showPattern(pattern: LightPattern): void {
  digitalPulse(ledOf(pattern.colour), true, pattern.pulses);
  if (pattern.buzz && typeof VIBRATE !== "undefined") digitalPulse(VIBRATE, true, pattern.pulses);
}
