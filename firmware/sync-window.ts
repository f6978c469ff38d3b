/**
 * When the tag may open a sync window (a connectable advert, sync-token.ts), and the time limits the
 * platform layer puts on a window and its link. Opening a window costs power (a connectable advert, and a
 * link at about 600 µA once someone connects), so what a stranger can trigger is limited:
 * - a beacon opens at most one window per 30 minutes, and only a beacon with a genuine MAC counts, so
 *   fake beacons neither open windows nor use up the allowance of the real collection point;
 * - a link closed for failures (bad MACs or proofs, see MAX_LINK_FAILURES) blocks beacon windows for
 *   1, 2, 4 … minutes, doubling for each failed link in a row up to 256 minutes (so a tag that met an
 *   attacker still syncs on the next collection day); a handshake that succeeds ends the backoff.
 * A button press always opens a window: only someone holding the tag can press it, so it drains nothing
 * an attacker controls, and staff can still sync a tag that is backing off.
 */

/** Least time between two windows opened by beacons, s. */
export var BEACON_WINDOW_GAP_S = 1800;
/** How long a window advertises waiting for a connection, s. */
export var WINDOW_OPEN_S = 60;
/** A link that has not opened a session this long after connecting is closed, s. */
export var HANDSHAKE_DEADLINE_S = 15;
/** A link on which the gateway sends nothing for this long is closed, s. */
export var LINK_IDLE_S = 30;
/** Failures on one link after which the tag closes it and backs off. */
export var MAX_LINK_FAILURES = 3;
/** Backoff after the first failed link, s. */
var FIRST_BACKOFF_S = 60;
/** Longest backoff, s (after 9 failed links in a row). */
var MAX_BACKOFF_S = 256 * 60;

/**
 * What the window policy remembers (RAM only: a reboot forgets a backoff, which costs nothing): the
 * numbers at the indices below, in an array, whose indices the minifier writes as digits.
 */
export type SyncWindowState = number[];
/** Tag time of the last window opened by a beacon; -Infinity for none. */
var BEACON_WINDOW_AT = 0;
/** Tag time of the last link closed for failures. */
var FAILED_AT = 1;
/** Length of the current backoff from FAILED_AT, s; 0 when none. */
var BACKOFF_S = 2;

/** A tag that has neither opened a window nor failed a link. */
export function newSyncWindowState(): SyncWindowState {
  return [-Infinity, 0, 0];
}

/**
 * Whether a window may open at tag time `now`, for a button press or for a genuine beacon. A clock set
 * backwards since a window or backoff began ends them rather than blocking windows for that long.
 */
export function mayOpenWindow(state: SyncWindowState, now: number, byButton: boolean): boolean {
  function within(start: number, seconds: number): boolean {
    return now >= start && now - start < seconds;
  }
  return byButton || !(within(state[BEACON_WINDOW_AT], BEACON_WINDOW_GAP_S) || within(state[FAILED_AT], state[BACKOFF_S]));
}

/** Notes a window opened by a beacon at `now`: the 30-minute gap starts. */
export function beaconWindowOpened(state: SyncWindowState, now: number): void {
  state[BEACON_WINDOW_AT] = now;
}

/** Notes a link closed for failures at `now`: the backoff doubles. */
export function linkFailed(state: SyncWindowState, now: number): void {
  // Twice the last backoff, or the first one when there was none (2 × 0 = 0).
  state[BACKOFF_S] = Math.min(2 * state[BACKOFF_S] || FIRST_BACKOFF_S, MAX_BACKOFF_S);
  state[FAILED_AT] = now;
}

/** Notes a handshake that succeeded: the backoff ends. */
export function sessionOpened(state: SyncWindowState): void {
  state[BACKOFF_S] = 0;
}
