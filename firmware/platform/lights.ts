/**
 * Shows a light pattern on the board's LEDs (and its vibration motor where the band has one).
 * Puck.js: LED1 red, LED2 green, LED3 blue. Boards without a green or blue LED show those on LED1.
 */
import { BLUE, GREEN } from "../feedback";

/**
 * Plays `pulses` (digitalPulse durations, on first) in `colour` (feedback.ts) without blocking: digitalPulse
 * runs on the hardware timer. The alert's blue also buzzes.
 */
export function showPattern(colour: number, pulses: number[]): void {
  var led = colour === GREEN && typeof LED2 !== "undefined" ? LED2 : colour === BLUE && typeof LED3 !== "undefined" ? LED3 : LED1;
  digitalPulse(led, true, pulses);
  if (colour === BLUE && typeof VIBRATE !== "undefined") digitalPulse(VIBRATE, true, pulses);
}
