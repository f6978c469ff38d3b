/** Timer helpers shared by the tag's main loop and its sync link. */

/**
 * Cancels `timer` if it is set and returns undefined, for `timer = cancelTimer(timer)`. Espruino's
 * clearTimeout(undefined) would clear every timer, hence the check.
 */
export function cancelTimer(timer: number | undefined): undefined {
  if (timer !== undefined) clearTimeout(timer);
  return undefined;
}
