/**
 * The sync link on the radio: the GATT service the gateway writes fragments to and reads notifications
 * from, the connectable sync-window advert, and the window's time limits. The protocol itself is pure
 * (sync-commands.ts); this layer only moves its fragments and opens and closes the window.
 */
import { TagSync } from "../sync-commands";
import { SYNC_SERVICE_UUID, SYNC_TO_GATEWAY_UUID, SYNC_TO_TAG_UUID, syncWindowAdvert } from "../sync-token";
import { HANDSHAKE_DEADLINE_S, LINK_IDLE_S, WINDOW_OPEN_S } from "../sync-window";
import { advertise } from "./radio";
import { cancelTimer } from "./timers";

/** Largest ATT MTU the tag accepts (Espruino on nRF52: 53, so 50-byte notifications). */
var MAX_MTU = 53;
/** Advertising interval while the window is open: a gateway nearby connects within a second. */
var WINDOW_INTERVAL_MS = 200;

var windowTimer: number | undefined;
/** Drops a link that does not authenticate in time, or falls idle: nobody can hold the tag's radio. Set while connected. */
var linkTimer: number | undefined;
var onWindowClosed: () => void;

/** `{ <sync service>: { <characteristic>: properties } }`, the form NRF.setServices and NRF.updateServices take. */
function syncService(characteristic: string, properties: any): any {
  var service: any = {};
  service[SYNC_SERVICE_UUID] = {};
  service[SYNC_SERVICE_UUID][characteristic] = properties;
  return service;
}

/** Sets up the sync service (with the console's UART only in a debug build); `closed` runs when a window ends. */
export function setUpSyncLink(sync: TagSync, closed: () => void): void {
  onWindowClosed = closed;
  var service = syncService(SYNC_TO_TAG_UUID, {
    writable: true,
    maxLen: MAX_MTU - 3,
    onWrite: function (event: { data: ArrayBuffer }) {
      if (sync.inSession()) watchLink(LINK_IDLE_S);
      var reply = sync.received(new Uint8Array(event.data));
      // The fragments go out as notifications, in order.
      for (var i = 0; i < reply.send.length; i++) NRF.updateServices(syncService(SYNC_TO_GATEWAY_UUID, { value: reply.send[i], notify: true }));
      if (reply.close) NRF.disconnect();
    },
  });
  service[SYNC_SERVICE_UUID][SYNC_TO_GATEWAY_UUID] = { notify: true, readable: true, maxLen: MAX_MTU - 3, value: [0] };
  NRF.setServices(service, { uart: DEBUG_BUILD });
  NRF.on("connect", function () {
    windowTimer = cancelTimer(windowTimer);
    sync.linkOpened(MAX_MTU);
    watchLink(HANDSHAKE_DEADLINE_S);
  });
  NRF.on("disconnect", function () {
    linkTimer = cancelTimer(linkTimer);
    sync.linkClosed();
    closeWindow();
  });
}

/** Disconnects unless another write comes within `seconds`. */
function watchLink(seconds: number): void {
  cancelTimer(linkTimer);
  linkTimer = setTimeout(function () {
    linkTimer = undefined;
    NRF.disconnect();
  }, seconds * 1000);
}

/** Whether a window is open or a gateway connected. */
export function windowIsOpen(): boolean {
  return windowTimer !== undefined || linkTimer !== undefined;
}

/** Opens a connectable window carrying `token` (null: unprovisioned) at `txPower` for WINDOW_OPEN_S. */
export function openWindow(token: Uint8Array | null, txPower: number): void {
  cancelTimer(windowTimer);
  advertise(syncWindowAdvert(token), WINDOW_INTERVAL_MS, txPower, true);
  windowTimer = setTimeout(closeWindow, WINDOW_OPEN_S * 1000);
}

/** Ends the window (time up or link closed): the tag goes back to its rotating IDs. */
function closeWindow(): void {
  windowTimer = cancelTimer(windowTimer);
  onWindowClosed();
}
