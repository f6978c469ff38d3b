/**
 * The tag. Boots from Storage, re-arms its timers and runs under a watchdog:
 * - every rotation (15 min; 10 with GAEN alone) new IDs under a new address, from keys kept in Storage;
 * - every few minutes a short passive scan, whose sightings aggregate into encounters in the flash log;
 * - every minute a heartbeat: watchdog kick, a light for the wearer, log upkeep.
 * A tag whose clock is unknown (never set, or lost with the battery) sends no IDs and shows red until a
 * gateway sets it. Pure decisions live in the modules it imports; this file only touches the hardware.
 */
import { parseAdvert } from "./advert";
import { utcDayNumber } from "./bluezone";
import { ClockRecord, clockIsSet } from "./clock";
import { DEFAULT_CONFIG, TagConfig } from "./config";
import { EncounterAggregator } from "./encounter";
import { EncounterLog } from "./encounter-log";
import { ExposureKeys, emptyKeys, keysForDay } from "./exposure-keys";
import { TagStatus, batteryPercentFromVolts, buttonPattern, heartbeatPattern } from "./feedback";
import { aes128, randomBytes, sha256 } from "./platform/crypto";
import { showPattern } from "./platform/lights";
import { broadcast, silence, startScan, stopScan } from "./platform/radio";
import { broadcastAt, newRotationCache } from "./rotation";

/** Storage file of the exposure keys. */
var KEYS_FILE = "zt.keys";
/** Storage file of the rest of the state that must survive a reboot. */
var STATE_FILE = "zt.state";
/** Heartbeat period: watchdog kick and the wearer's light. */
var HEARTBEAT_MS = 60000;
/** A tag whose heartbeat stops for this long is reset by the hardware watchdog. */
var WATCHDOG_S = 200;

/** What survives a reboot besides keys and the log. */
interface TagState {
  config: TagConfig;
  clock: ClockRecord | null;
  alert: boolean;
}

var Storage = require("Storage");
var state: TagState = Storage.readJSON(STATE_FILE, true) || { config: DEFAULT_CONFIG, clock: null, alert: false };
var keys: ExposureKeys = Storage.readJSON(KEYS_FILE, true) || emptyKeys();
var rotationCache = newRotationCache();
var rotationTimer: number | undefined;
var scanTimer: number | undefined;
var log = new EncounterLog(Storage as any);
var encounters = new EncounterAggregator(function (e) {
  if (!log.append(e).ok) storageFault = true;
});
var emptyScans = 0;
var heardThisScan = 0;
var storageFault = false;

/** Writes a JSON file; a full or failing flash sets the storage fault instead of stopping the tag. */
function saveJSON(name: string, value: any): void {
  try {
    Storage.writeJSON(name, value);
  } catch (e) {
    storageFault = true;
  }
}

/** Cancels a timer if set (Espruino throws on clearTimeout(undefined): it would clear every timer). */
function cancel(timer: number | undefined): void {
  if (timer !== undefined) clearTimeout(timer);
}

/** Battery percent: E.getBattery where the board has it (Puck.js), else from the cell voltage. */
function batteryPercent(): number {
  return E.getBattery ? E.getBattery() : batteryPercentFromVolts(NRF.getBattery());
}

function status(): TagStatus {
  return { clockSet: clockIsSet(getTime()), batteryPercent: batteryPercent(), storageFault: storageFault, alert: state.alert };
}

/** New IDs and address for the current rotation period, then a timer for the next one. */
function rotate(): void {
  cancel(rotationTimer);
  rotationTimer = undefined;
  var now = getTime();
  if (!clockIsSet(now)) return silence();
  log.expire(now);
  var next = keysForDay(keys, utcDayNumber(now), randomBytes, sha256);
  if (next.changed) {
    keys = next.keys;
    saveJSON(KEYS_FILE, keys);
  }
  var plan = broadcastAt(now, state.config, keys, { sha256: sha256, aes: aes128 }, rotationCache);
  broadcast(plan.adverts, state.config.advertIntervalMs, state.config.txPower);
  rotationTimer = setTimeout(rotate, (plan.until - now) * 1000);
}

function onDevice(device: BluetoothScanDevice): void {
  var received = parseAdvert(new Uint8Array(device.data));
  if (!received) return;
  heardThisScan++;
  encounters.sighting(device.id, received.id, received.profile, received.aem ? received.aem[1] : 0, device.rssi, getTime());
}

/** Starts one scan; it ends itself after the configured window. */
function scan(): void {
  scanTimer = undefined;
  if (!clockIsSet(getTime())) return;
  heardThisScan = 0;
  startScan(onDevice);
  scanTimer = setTimeout(endScan, state.config.scanWindowMs);
}

/** Ends a scan and plans the next: sooner while others are around, later after several empty scans. */
function endScan(): void {
  stopScan();
  encounters.flush(getTime());
  emptyScans = heardThisScan ? 0 : emptyScans + 1;
  var config = state.config;
  var periodS = emptyScans >= config.idleAfterEmptyScans ? config.idleScanPeriodS : config.scanPeriodS;
  scanTimer = setTimeout(scan, periodS * 1000 - config.scanWindowMs);
}

function heartbeat(): void {
  E.kickWatchdog();
  showPattern(heartbeatPattern(status()));
}

/** Starts (or restarts, after a clock change) everything time-driven. */
function rearm(): void {
  cancel(scanTimer);
  scanTimer = undefined;
  stopScan();
  rotate();
  scan();
}

function boot(): void {
  if (!DEBUG_BUILD) {
    // Release: no code can reach the interpreter over Bluetooth.
    NRF.setServices({}, { uart: false });
    E.setConsole(null, { force: true });
  }
  E.enableWatchdog(WATCHDOG_S, false);
  setWatch(
    function () {
      showPattern(buttonPattern(status()));
    },
    BTN1,
    { repeat: true, edge: "rising", debounce: 50 }
  );
  setInterval(heartbeat, HEARTBEAT_MS);
  rearm();
}

boot();
