/**
 * The tag. Boots from Storage, re-arms its timers and runs under a watchdog:
 * - every rotation (15 min; 10 with GAEN alone) new IDs under a new address, from keys kept in Storage;
 * - every few minutes a short passive scan, whose sightings aggregate into encounters in the flash log;
 * - every minute a heartbeat: watchdog kick, a light for the wearer;
 * - a sync window (connectable, for a minute) when the button is pressed or a genuine beacon of the
 *   tag's commune is heard; the gateway then syncs over the authenticated protocol of sync-commands.ts.
 * A tag whose clock is unknown (never set, or lost with the battery) sends no IDs and shows red until a
 * gateway sets it. Pure decisions live in the modules it imports; this file only touches the hardware.
 */
import { BLUEZONE_COMPANY_ID, BLUEZONE_ID_BYTES, utcDayNumber } from "./bluezone";
import { ClockRecord, clockIsSet, clockSet } from "./clock";
import { DEFAULT_CONFIG, TagConfig } from "./config";
import { EncounterAggregator } from "./encounter";
import { EncounterLog } from "./encounter-log";
import { ExposureKeys, emptyKeys, keysForDay } from "./exposure-keys";
import { batteryPercentFromVolts, buttonPulses, conditionColour, heartbeatPulses, tagCondition } from "./feedback";
import { AEM_BYTES, RPI_BYTES } from "./gaen";
import { aes128, randomBytes, sha256 } from "./platform/crypto";
import { showPattern } from "./platform/lights";
import { advertise, silence, startScan, stopScan } from "./platform/radio";
import { openWindow, setUpSyncLink, windowIsOpen } from "./platform/sync-link";
import { cancelTimer } from "./platform/timers";
import { broadcastAt, newRotationCache } from "./rotation";
import { TagServices, newTagSync } from "./sync-commands";
import { PROVISION_TX_POWER_DBM, decodeIdentity } from "./sync-provision";
import { SYNC_SERVICE_UUID, beaconIsGenuine, beaconMacIn, syncSlot, windowToken } from "./sync-token";
import { beaconWindowOpened, mayOpenWindow, newSyncWindowState } from "./sync-window";

/** Storage file of the exposure keys. */
var KEYS_FILE = "zt.keys";
/** Storage file of the rest of the state that must survive a reboot. */
var STATE_FILE = "zt.state";
/** Storage file of the identity a gateway provisioned (tag ID, tag key, commune beacon key), in its PROVISION encoding. */
var IDENTITY_FILE = "zt.id";
/** Reported in the gateway's info. */
var FIRMWARE_VERSION = "zonetag 0.1.0";
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
/** The identity as provisioned, kept in its encoding (sync-provision.ts), checked again at boot. */
var identity = decodeIdentity(new Uint8Array(Storage.readArrayBuffer(IDENTITY_FILE) || []));
var syncWindow = newSyncWindowState();

/** Writes a JSON file; a full or failing flash sets the storage fault instead of stopping the tag. */
function saveJSON(name: string, value: any): boolean {
  try {
    Storage.writeJSON(name, value);
    return true;
  } catch (e) {
    storageFault = true;
    return false;
  }
}

/** Battery percent: E.getBattery where the board has it (Puck.js), else from the cell voltage. */
function batteryPercent(): number {
  return E.getBattery ? E.getBattery() : batteryPercentFromVolts(NRF.getBattery());
}

/** Shows the wearer the tag's condition in the pattern `pulsesOf` gives for it (feedback.ts). */
function showCondition(pulsesOf: (condition: number) => number[]): void {
  var condition = tagCondition(state.alert, batteryPercent(), clockIsSet(getTime()), storageFault);
  showPattern(conditionColour(condition), pulsesOf(condition));
}


/** What the sync protocol may read and change on this tag. */
var services: TagServices = {
  sha256: sha256,
  random: randomBytes,
  now: getTime,
  identity: function () {
    return identity;
  },
  provision: function (given, body) {
    try {
      Storage.write(IDENTITY_FILE, body);
    } catch (e) {
      storageFault = true;
      return false;
    }
    identity = given;
    return true;
  },
  info: function () {
    var figures = log.status();
    // In the order of InfoFields (sync-messages.ts).
    return [
      FIRMWARE_VERSION,
      process.env.BOARD,
      batteryPercent(),
      state.alert,
      storageFault,
      getTime(),
      state.clock,
      figures.bytes / figures.budgetBytes,
      figures.records,
      figures.unacknowledged,
      figures.dropped,
      figures.nextCursor,
      figures.acknowledged,
      state.config.scanPeriodS,
    ];
  },
  setTime: function (unixSeconds) {
    // Open encounters close on the old time base; rotation and scans restart when the window closes.
    encounters.closeAll();
    state.clock = clockSet(state.clock, getTime(), unixSeconds);
    setTime(unixSeconds);
    saveJSON(STATE_FILE, state);
    return state.clock;
  },
  log: log,
  setAlert: function (exposed) {
    state.alert = exposed;
    return saveJSON(STATE_FILE, state);
  },
  keys: function () {
    return keys;
  },
  startNewKeys: function () {
    keys = emptyKeys();
    rotationCache = newRotationCache();
    return saveJSON(KEYS_FILE, keys);
  },
  config: function () {
    return state.config;
  },
  setConfig: function (config) {
    state.config = config;
    return saveJSON(STATE_FILE, state);
  },
};
var sync = newTagSync(services, syncWindow);

/** Opens a sync window if the policy allows (a button press always may); rotation and scans pause meanwhile. */
function openSyncWindow(byButton: boolean): void {
  var now = getTime();
  if (!mayOpenWindow(syncWindow, now, byButton)) return;
  if (!byButton) beaconWindowOpened(syncWindow, now);
  pause();
  openWindow(identity ? windowToken(sha256, identity.tagKey, syncSlot(now)) : null, identity ? state.config.txPower : PROVISION_TX_POWER_DBM);
}

/** New IDs and address for the current rotation period, then a timer for the next one. */
function rotate(): void {
  rotationTimer = cancelTimer(rotationTimer);
  var now = getTime();
  if (!clockIsSet(now)) return silence();
  log.expire(now);
  var next = keysForDay(keys, utcDayNumber(now), randomBytes, sha256);
  if (next.changed) {
    keys = next.keys;
    saveJSON(KEYS_FILE, keys);
  }
  var config = state.config;
  var plan = broadcastAt(now, config, keys, { sha256: sha256, aes: aes128 }, rotationCache);
  advertise(plan.adverts, config.advertIntervalMs, config.txPower, false);
  rotationTimer = setTimeout(rotate, (plan.until - now) * 1000);
}

/** Our service data, if any: a collection point's beacon opens a window if genuine and the rate limit allows. */
function onBeacon(serviceData: ArrayBuffer | undefined): void {
  var mac = serviceData && beaconMacIn(new Uint8Array(serviceData));
  if (identity && mac && beaconIsGenuine(sha256, identity.beaconKey, getTime(), mac)) openSyncWindow(false);
}

/**
 * A scanned device, as Espruino parsed its advert (advert.ts spells out both formats): a GAEN RPI ‖ AEM in
 * service data 0xFD6F, a Bluezone ID in manufacturer data of company 0x22B5, or else, having passed the scan
 * filter by our service data, maybe a collection point's beacon.
 */
function onDevice(device: BluetoothScanDevice): void {
  var serviceData = device.serviceData || {};
  var gaen = new Uint8Array(serviceData["fd6f"] || []);
  var bluezone = new Uint8Array(device.manufacturer === BLUEZONE_COMPANY_ID ? device.manufacturerData! : []);
  var isGaen = gaen.length === RPI_BYTES + AEM_BYTES;
  if (!isGaen && bluezone.length !== BLUEZONE_ID_BYTES) return onBeacon(serviceData[SYNC_SERVICE_UUID]);
  heardThisScan++;
  // The aggregator keeps the start of the ID (RPI ‖ AEM starts with the RPI). AEM byte 1 carries the TX
  // power; Bluezone has none (gaen[17] is then undefined, and ignored).
  encounters.sighting(device.id, isGaen ? gaen : bluezone, isGaen ? "gaen" : "bluezone", gaen[RPI_BYTES + 1], device.rssi, getTime());
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
  showCondition(heartbeatPulses);
}

/** Stops rotation and scans (while a sync window is open). */
function pause(): void {
  scanTimer = cancelTimer(scanTimer);
  rotationTimer = cancelTimer(rotationTimer);
  stopScan();
}

/** Starts (or restarts, after a window or a clock change) everything time-driven. */
function rearm(): void {
  pause();
  rotate();
  scan();
}

function boot(): void {
  // The sync service, and in a release build no UART: no code can reach the interpreter over Bluetooth.
  setUpSyncLink(sync, rearm);
  if (!DEBUG_BUILD) E.setConsole(null, { force: true });
  E.enableWatchdog(WATCHDOG_S, false);
  setWatch(
    function () {
      showCondition(buttonPulses);
      sync.buttonPressed();
      if (!windowIsOpen()) openSyncWindow(true);
    },
    BTN1,
    { repeat: true, edge: "rising", debounce: 50 }
  );
  setInterval(heartbeat, HEARTBEAT_MS);
  rearm();
}

boot();
