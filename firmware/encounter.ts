/**
 * Encounters: what the tag keeps of one contact, aggregated from the adverts it hears, and the 7-byte
 * record that stores one in the flash log. The gateway decodes the same record with this module.
 *
 * Why 7 bytes: the log must hold 21 days of the busiest residents (about 150 encounters a day) in 24 KB,
 * i.e. ≤ 7.8 bytes an encounter with Storage's 32-byte file headers counted. 8-byte records cannot do it
 * (3150 × 8 = 25 200 bytes > 24 576 before any header); 7-byte ones take 146 to a 1 KB block.
 *
 * Why 4 bytes of ID: the gateway compares an ID it derives from a diagnosis key only with encounters first
 * seen within about ±30 minutes of that ID's own time slot, never with the whole store. With 1 M stored
 * encounters over 21 days that is ≈ 1 700 candidates per ID, ≈ 250 000 comparisons per key (144 IDs), so a
 * 32-bit prefix gives ≈ 6·10⁻⁵ false matches per key: about one false single encounter per 17 000 keys
 * imported, which alone rarely reaches the alert rule. An 8-byte prefix would cost 4 more bytes a record.
 *
 * What 7 bytes leave out, next to the first design: the sightings count (duration and mean RSSI carry what
 * scoring uses), minute resolution of the duration (2 minutes; scans come every 4), 10-minute resolution of
 * the first sighting (a quarter hour, Bluezone's ID period) and the top 2 bits of the AEM byte (see
 * txPowerFromAemBits).
 */
import { ReceivedId } from "./advert";
import { DEFAULT_CONFIG } from "./config";

/** Bytes of one stored encounter. */
export var RECORD_BYTES = 7;
/** Bytes of the rotating ID a record keeps (the start of the RPI or Bluezone ID). */
export var ID_PREFIX_BYTES = 4;
/** An encounter that lasts this long is closed and a new one begins (s). */
export var MAX_ENCOUNTER_SECONDS = 1800;
/** Step of the first-sighting time in a record: a quarter hour, Bluezone's ID period (s). */
export var QUARTER_SECONDS = 900;
/** Largest first-sighting offset a record holds (7 bits): up to 32 h after its block's time origin. */
export var MAX_RECORD_QUARTER = 127;
/** Step of the stored duration (s); 4 bits reach 30 minutes, the longest encounter. */
var DURATION_STEP_SECONDS = 120;
var MAX_DURATION_CODE = 15;
/** Strongest RSSI a record tells apart (dBm); stronger readings store as this. */
var RSSI_CEILING_DBM = -30;
var RSSI_STEP_DB = 2;
/** Largest RSSI code written: −90 dBm. Code 31 is never written, so a record's last byte is never 0xFF. */
var MAX_RSSI_CODE = 30;
/** Step and largest code of "strongest above mean" (0, 3, 6, ≥ 9 dB). */
var PEAK_STEP_DB = 3;
var MAX_PEAK_CODE = 3;
/** Bits of AEM byte 1 a record keeps (see txPowerFromAemBits). */
var AEM_BITS_MASK = 0x3f;
/** Decoded TX powers lie in [−48, +15] dBm: all of the nRF52 range (−40 … +4) and, we assume, any phone's calibrated value. */
var TX_POWER_WRAP = 16;
/** Default open encounters kept in RAM. */
var DEFAULT_MAX_OPEN = 24;
/**
 * Adverts weaker than this (dBm) are not aggregated: far-away devices would fill the log and crowd near ones
 * out of the open slots. Measured in the simulator with tags at −8 dBm (market 1 day, commune 3 and 14
 * days): it halves the busiest tags' records a day and keeps tag↔tag close-contact recall (zonetag rule) at
 * 0.97–0.99; −72 dBm would cut it by about 0.06. Phones send 10–25 dB weaker than tags: a phone nearby can
 * fall under it.
 */
export var SIGHTING_FLOOR_DBM = -82;
/** Default silence after which an encounter is over (s): two scan periods, so one missed scan is not a gap. */
var DEFAULT_GAP_SECONDS = 2 * DEFAULT_CONFIG.scanPeriodS;

/** States of a record slot in flash. */
export var RECORD_EMPTY = 0;
export var RECORD_TORN = 1;
export var RECORD_COMPLETE = 2;

/** One aggregated encounter. Decoded from a record, its times and RSSIs carry the record's steps. */
export interface Encounter {
  /** The first 4 bytes of the RPI or Bluezone ID. */
  id: Uint8Array;
  /** GAEN: AEM byte 1, the TX power still encrypted (a record keeps its low 6 bits); Bluezone: 0. */
  aem: number;
  /** First sighting, unix s. */
  first: number;
  /** First to last sighting, s. */
  seconds: number;
  /** Mean RSSI of the adverts heard, dBm. */
  rssiMean: number;
  /** Strongest RSSI heard, dBm. */
  rssiMax: number;
}

/** Limits of the aggregation; each has a default. */
export interface AggregatorOptions {
  /** Silence after which an encounter is over, s (two scan periods). */
  gapSeconds?: number;
  /** Encounters kept open at once; when full, the one heard least recently is closed. */
  maxOpen?: number;
}

function clamp(value: number, low: number, high: number): number {
  return value < low ? low : value > high ? high : value;
}

/** Quarter hours from a block's time origin `origin` (quarter hours since the epoch) to unix time `t`. */
function recordQuarter(t: number, origin: number): number {
  return Math.floor(t / QUARTER_SECONDS) - origin;
}

/** Whether a first sighting at unix time `t` can be stored in a block whose time origin is `origin`. */
export function recordFitsBlock(t: number, origin: number): boolean {
  var q = recordQuarter(t, origin);
  return q >= 0 && q <= MAX_RECORD_QUARTER;
}

/**
 * The 7-byte record of `e` in a block whose time origin is `origin` (quarter hours since the epoch, kept
 * in the block's name), or null when `e.first` is outside the block's 32 hours. Bytes:
 * ```
 *  0–3  ID prefix: first 4 bytes of the RPI or Bluezone ID
 *  4–6  one 24-bit big-endian field:
 *       byte 4           byte 5           byte 6
 *       q q q q q q q t  t t t t t d d d  d r r r r r m m
 *       q (7) first sighting: UTC quarter hour, counted from the block's origin (0–127)
 *       t (6) low 6 bits of AEM byte 1, still encrypted (GAEN); 0 for Bluezone
 *       d (4) duration, first to last sighting, in 2-minute steps (0–15: 0–30 min, rounded)
 *       r (5) mean RSSI code = clamp(round((−rssi − 30) / 2), 0, 30): −30 … −90 dBm in 2 dB steps
 *       m (2) strongest minus mean in 3 dB steps, rounded, saturating at 3 (≥ 9 dB)
 * ```
 * Byte 6 is 0xFF only if r = 31, which is never written: a record whose last byte is still erased was
 * cut short by a power failure (flash is programmed in byte order) and is skipped, never rewritten.
 * The mean is stored finely because GAEN-style scoring weights minutes by typical attenuation; the
 * strongest reading only decides the "too far" filter. CTR encryption works bit by bit, so the low 6 bits
 * of the encrypted AEM byte decrypt to the low 6 bits of the TX power (see txPowerFromAemBits).
 */
export function encodeRecord(e: Encounter, origin: number): Uint8Array | null {
  if (!recordFitsBlock(e.first, origin)) return null;
  var q = recordQuarter(e.first, origin);
  var t = e.aem & AEM_BITS_MASK;
  var d = clamp(Math.round(e.seconds / DURATION_STEP_SECONDS), 0, MAX_DURATION_CODE);
  var r = clamp(Math.round((-e.rssiMean + RSSI_CEILING_DBM) / RSSI_STEP_DB), 0, MAX_RSSI_CODE);
  var m = clamp(Math.round((e.rssiMax - e.rssiMean) / PEAK_STEP_DB), 0, MAX_PEAK_CODE);
  var field = (q << 17) | (t << 11) | (d << 7) | (r << 2) | m;
  var record = new Uint8Array(RECORD_BYTES);
  record.set(e.id.subarray(0, ID_PREFIX_BYTES));
  // A Uint8Array keeps the low 8 bits of each.
  record[4] = field >> 16;
  record[5] = field >> 8;
  record[6] = field;
  return record;
}

/** Whether the record slot at `offset` is empty (all 0xFF), torn (last byte 0xFF) or complete. */
export function recordState(bytes: Uint8Array, offset: number): number {
  if (bytes[offset + (RECORD_BYTES - 1)] !== 0xff) return RECORD_COMPLETE;
  for (var i = 0; i < RECORD_BYTES - 1; i++) if (bytes[offset + i] !== 0xff) return RECORD_TORN;
  return RECORD_EMPTY;
}

/** The encounter in the complete record at `offset` of a block with time origin `origin`; null if not complete. */
export function decodeRecord(bytes: Uint8Array, offset: number, origin: number): Encounter | null {
  if (recordState(bytes, offset) !== RECORD_COMPLETE) return null;
  var field = (bytes[offset + 4] << 16) | (bytes[offset + 5] << 8) | bytes[offset + 6];
  var rssiMean = RSSI_CEILING_DBM - ((field >> 2) & 0x1f) * RSSI_STEP_DB;
  return {
    id: bytes.slice(offset, offset + ID_PREFIX_BYTES),
    aem: (field >> 11) & AEM_BITS_MASK,
    first: (origin + (field >> 17)) * QUARTER_SECONDS,
    seconds: ((field >> 7) & 0xf) * DURATION_STEP_SECONDS,
    rssiMean: rssiMean,
    rssiMax: rssiMean + (field & 3) * PEAK_STEP_DB,
  };
}

/** Unix time of the first sighting in the record at `offset` (complete or not) of a block with origin `origin`. */
export function recordFirstSeen(bytes: Uint8Array, offset: number, origin: number): number {
  return (origin + (bytes[offset + 4] >> 1)) * QUARTER_SECONDS;
}

/**
 * How much a record is worth keeping when the log must drop some: longer first, then nearer (stronger
 * mean RSSI). Higher is stronger.
 */
export function recordStrength(bytes: Uint8Array, offset: number): number {
  var low = (bytes[offset + 5] << 8) | bytes[offset + 6];
  var d = (low >> 7) & 0xf;
  var r = (low >> 2) & 0x1f;
  return d * (MAX_RSSI_CODE + 1) + (MAX_RSSI_CODE - r);
}

/**
 * The TX power (dBm) in a record's AEM bits once the gateway has decrypted them: `decrypted` is the
 * record's 6 bits XOR byte 1 of the AEM keystream (AES-CTR under the AEMK with the RPI as IV). Only the low
 * 6 bits count; they name one value in [−48, +15] dBm.
 */
export function txPowerFromAemBits(decrypted: number): number {
  var low = decrypted & AEM_BITS_MASK;
  return low < TX_POWER_WRAP ? low : low - (AEM_BITS_MASK + 1);
}

/**
 * Sightings → encounters. One open encounter per advertiser address: a tag sends its GAEN and Bluezone
 * packets from one address that changes with both IDs, so both formats of one tag make one encounter,
 * which records the GAEN ID once one is heard, otherwise the Bluezone ID (the gateway publishes both
 * formats of a positive tag, so either matches). Closed encounters go to `onClose`.
 * RAM is bounded: open encounters live in fixed typed arrays (21 bytes each) plus the address strings.
 * The state lives in the constructor's closure, not in fields: the minifier shortens local names but
 * never property names, and the upload budget is tight.
 */
export class EncounterAggregator {
  /**
   * One advert heard at unix time `now` from address `source`, carrying `id` (RPI or Bluezone ID) of
   * `profile`, with AEM byte 1 `aem1` (GAEN; ignored for Bluezone) and signal `rssi` (dBm).
   */
  readonly sighting: (source: string, id: Uint8Array, profile: ReceivedId["profile"], aem1: number, rssi: number, now: number) => void;
  /** Closes the encounters that are over at `now` (silent for the gap, or 30 minutes long); returns how many. */
  readonly flush: (now: number) => number;
  /** Closes every open encounter (before a shutdown, or when the clock changes). */
  readonly closeAll: () => void;
  /** Encounters open now. */
  readonly openCount: () => number;

  constructor(onClose: (e: Encounter) => void, options?: AggregatorOptions) {
    var maxOpen = (options && options.maxOpen) || DEFAULT_MAX_OPEN;
    var gapSeconds = (options && options.gapSeconds) || DEFAULT_GAP_SECONDS;
    /** Advertiser address of each slot in use; "" (or nothing yet) for a free one. */
    var sources: string[] = [];
    /** ID prefix of each slot, 4 bytes a slot. */
    var ids = new Uint8Array(maxOpen * ID_PREFIX_BYTES);
    /** A GAEN slot's AEM byte 1 | 0x100, which also says its ID is an RPI (a Bluezone ID is replaced by one); 0 for Bluezone. */
    var aem = new Uint16Array(maxOpen);
    var first = new Uint32Array(maxOpen);
    var last = new Uint32Array(maxOpen);
    var rssiMax = new Int8Array(maxOpen);
    var rssiSum = new Int32Array(maxOpen);
    /** Adverts heard in each slot's encounter: 0 marks a free slot. */
    var sightings = new Uint16Array(maxOpen);

    /** Whether the slot's encounter is over at `now`; every one is at `now` = Infinity. */
    function isOver(slot: number, now: number): boolean {
      return now - last[slot] > gapSeconds || now - first[slot] >= MAX_ENCOUNTER_SECONDS;
    }

    function close(slot: number): void {
      var at = slot * ID_PREFIX_BYTES;
      var e: Encounter = {
        id: ids.slice(at, at + ID_PREFIX_BYTES),
        aem: aem[slot] & 0xff,
        first: first[slot],
        seconds: last[slot] - first[slot],
        rssiMean: Math.round(rssiSum[slot] / sightings[slot]),
        rssiMax: rssiMax[slot],
      };
      sources[slot] = "";
      sightings[slot] = 0;
      onClose(e);
    }

    function flush(now: number): number {
      var closed = 0;
      for (var slot = 0; slot < maxOpen; slot++) {
        if (sightings[slot] && isOver(slot, now)) {
          close(slot);
          closed++;
        }
      }
      return closed;
    }

    this.sighting = function (source, id, profile, aem1, rssi, now) {
      if (rssi < SIGHTING_FLOOR_DBM) return;
      var slot = sources.indexOf(source);
      if (slot >= 0 && isOver(slot, now)) {
        close(slot);
        slot = -1;
      }
      if (slot < 0) {
        slot = sightings.indexOf(0);
        if (slot < 0) {
          // Full: the encounter heard least recently is the contact most likely gone.
          slot = 0;
          for (var s = 1; s < maxOpen; s++) if (last[s] < last[slot]) slot = s;
          close(slot);
        }
        sources[slot] = source;
        first[slot] = now;
        rssiMax[slot] = -128;
        rssiSum[slot] = 0;
      }
      // Int8Array would wrap a reading above 127 dBm (the floor keeps out those below −128).
      rssi = Math.min(Math.round(rssi), 127);
      var isGaen = profile === "gaen";
      if (!sightings[slot] || (isGaen && !aem[slot])) {
        ids.set(id.subarray(0, ID_PREFIX_BYTES), slot * ID_PREFIX_BYTES);
        aem[slot] = isGaen ? 0x100 | aem1 : 0;
      }
      last[slot] = now;
      if (rssi > rssiMax[slot]) rssiMax[slot] = rssi;
      // No overflow: an encounter lasts at most 30 minutes, and scans (at most 5 s a minute, config.ts)
      // hear at most 7 500 adverts in that time (adverts come 20 ms apart at the fastest).
      rssiSum[slot] += rssi;
      sightings[slot]++;
    };
    this.flush = flush;
    this.closeAll = function () {
      flush(Infinity);
    };
    this.openCount = function () {
      var open = 0;
      for (var slot = 0; slot < maxOpen; slot++) if (sightings[slot]) open++;
      return open;
    };
  }
}
