/**
 * The radio between devices: how strong an advert arrives and whether a scanning device hears it.
 *
 * Mean received power of a link = EIRP of the sender − ITU-R P.1238 path loss (log-distance) − walls ×
 * wall loss − bodies in the way × body loss + log-normal shadowing; the receiver reports it through its own
 * calibration offset. Each advertising event sends the packet on the three advertising channels; the
 * scanner listens on one channel at a time, so an event is heard on the scanner's current channel, with
 * that channel's multipath offset and a per-packet fading draw, if it clears the receiver's sensitivity
 * and does not collide with a stronger packet of another sender.
 *
 * Deliveries are computed per scan window: for each sender that can be heard at all, the advertising
 * events falling in the window are enumerated arithmetically (no per-event scheduling), so the cost
 * follows the packets actually heard.
 *
 * Draws that belong to a link (shadowing, channel offsets) are stateless hashes of the two track segments,
 * so a link keeps its value while nobody moves and both directions see the same (reciprocity).
 * Shadowing is truncated at ±2σ and the per-channel and per-packet draws at ±3σ: a link's best case is
 * then bounded, which lets the radio skip houses that cannot be heard without computing each link.
 */
import { hashNormal, hashUniform, Random } from "./random";
import { Environment } from "./scenario";
import { AWAY, Place, World, placeGap, wallsBetweenPlaces } from "./world";

/** A model parameter with its unit and where its value comes from. */
export interface RadioParameter {
  value: number;
  unit: string;
  label: string;
  source: string;
}

function parameter(value: number, unit: string, label: string, source: string): RadioParameter {
  return { value, unit, label, source };
}

/** Every number the radio model uses, with its published source (printed in the report). */
export const RADIO_PARAMETERS = {
  frequencyMHz: parameter(2440, "MHz", "carrier for path loss (advertising channels 37/38/39 at 2402/2426/2480 MHz)", "Bluetooth Core spec v5.3, Vol 6 Part B §1.4.1 (channel map); mid-band value"),
  pathLossResidential: parameter(28, "N (dB/decade)", "distance power loss coefficient, residential (houses)", "ITU-R P.1238-7 Table 2, 2.4 GHz residential"),
  pathLossOffice: parameter(30, "N (dB/decade)", "distance power loss coefficient, office (health station, commune hall)", "ITU-R P.1238-7 Table 2, 2.4 GHz office"),
  pathLossCommercial: parameter(22, "N (dB/decade)", "distance power loss coefficient, commercial (market, pagoda hall)", "ITU-R P.1238-7 Table 2, 1.8-2 GHz commercial (no 2.4 GHz entry)"),
  pathLossOpenAir: parameter(20, "N (dB/decade)", "distance power loss coefficient, open air", "free space, ITU-R P.525"),
  shadowResidential: parameter(8, "dB (σ)", "log-normal shadowing, residential", "ITU-R P.1238-7 Table 3, 1.8-2 GHz residential"),
  shadowOffice: parameter(10, "dB (σ)", "log-normal shadowing, office", "ITU-R P.1238-7 Table 3, 1.8-2 GHz office"),
  shadowCommercial: parameter(10, "dB (σ)", "log-normal shadowing, commercial", "ITU-R P.1238-7 Table 3, 1.8-2 GHz commercial"),
  shadowOpenAir: parameter(4, "dB (σ)", "log-normal shadowing, open air", "assumption: short line-of-sight links outdoors"),
  channelSigma: parameter(4, "dB (σ)", "multipath offset per advertising channel and link (frequency-selective fading)", "Faragher & Harle, 'Location fingerprinting with BLE beacons', IEEE JSAC 33(11) 2015: RSSI differs by channel by several dB"),
  packetSigma: parameter(3, "dB (σ)", "packet-to-packet fading on a link that does not move", "Faragher & Harle 2015 (packet RSSI spread of a static beacon); Leith & Farrell, ACM SIGCOMM CCR 50(4) 2020"),
  bodyLoss: parameter(10, "dB", "loss per body between the devices (the wearer's own body shadows a wrist tag or pocketed phone)", "Januszkiewicz, 'Analysis of human body shadowing effect on WSNs in the 2.4 GHz band', Sensors 18(10):3412, 2018; Leith & Farrell 2020 (RSSI swings with orientation and pockets at fixed distance)"),
  wallLoss: parameter(8, "dB", "loss through one brick wall", "NIST IR 6055 (Stone 1997), brick attenuation at 0.5-2 GHz; ITU-R P.2040 brick properties"),
  minDistance: parameter(0.3, "m", "closest two carried devices can be", "assumption: two bodies"),
  tagAntennaGain: parameter(-3, "dBi", "tag antenna gain (small PCB antenna on the wrist), on transmit and receive", "assumption; electrically small antennas near tissue lose several dB"),
  tagSensitivity: parameter(-96, "dBm", "tag receiver sensitivity, BLE 1 Mbps", "Nordic nRF52832 Product Specification v1.4, radio RX sensitivity (ideal transmitter)"),
  phoneSensitivity: parameter(-95, "dBm", "phone receiver sensitivity", "assumption, typical phone BLE chip; the Core spec (Vol 6 Part A §4.1) only requires -70 dBm"),
  tagChannelDwell: parameter(100, "ms", "tag scanner: time on each channel (scan interval = window, continuous)", "Espruino targets/nrf5x/bluetooth.c SCAN_INTERVAL = SCAN_WINDOW = 100 ms"),
  phoneChannelDwell: parameter(4096, "ms", "phone scanner: time on each channel (SCAN_MODE_LOW_LATENCY)", "AOSP Bluetooth ScanManager, Android 8-12: LOW_LATENCY window = interval = 4096 ms"),
  advDelayMax: parameter(10, "ms", "random advDelay added to each advertising interval (0..10 ms)", "Bluetooth Core spec v5.3, Vol 6 Part B §4.4.2.2.1"),
  pduAirtime: parameter(0.376, "ms", "air time of a 31-byte advert: 47 bytes at 1 Mbps", "Core spec Vol 6 Part B §2.1: preamble 1 + access address 4 + header 2 + AdvA 6 + data 31 + CRC 3 bytes"),
  captureMargin: parameter(6, "dB", "a packet survives an overlap with a packet this much weaker", "assumption between receivers' capture effect and the Core spec's 21 dB co-channel C/I test (Vol 6 Part A §4.2)"),
} as const;

/** Names of the radio parameters. */
export type RadioParameterName = keyof typeof RADIO_PARAMETERS;
/** Parameter values by name (the table's values, or a test's changes). */
export type RadioValues = Record<RadioParameterName, number>;

/** The table's values, with some replaced (for tests and what-if runs). */
export function radioValues(changes: Partial<RadioValues> = {}): RadioValues {
  const values = {} as RadioValues;
  for (const name of Object.keys(RADIO_PARAMETERS) as RadioParameterName[]) values[name] = changes[name] ?? RADIO_PARAMETERS[name].value;
  return values;
}

/** The path loss coefficient N and shadowing σ of an environment. */
export function environmentValues(values: RadioValues, environment: Environment): { n: number; sigma: number } {
  switch (environment) {
    case "residential":
      return { n: values.pathLossResidential, sigma: values.shadowResidential };
    case "office":
      return { n: values.pathLossOffice, sigma: values.shadowOffice };
    case "commercial":
      return { n: values.pathLossCommercial, sigma: values.shadowCommercial };
    case "open-air":
      return { n: values.pathLossOpenAir, sigma: values.shadowOpenAir };
  }
}

/** ITU-R P.1238 site-general path loss: 20·log10(f MHz) + N·log10(d m) − 28, same floor. */
export function pathLossDb(values: RadioValues, distanceM: number, n: number): number {
  return 20 * Math.log10(values.frequencyMHz) + n * Math.log10(Math.max(values.minDistance, distanceM)) - 28;
}

/** Whether a body blocks the path: the device sits on the front of its wearer, the other device is behind. */
export function bodyBlocks(heading: number, dx: number, dy: number): boolean {
  return Math.cos(heading) * dx + Math.sin(heading) * dy < 0;
}

/** A normal draw truncated at ±limit σ. */
function truncated(z: number, limit: number): number {
  return Math.max(-limit, Math.min(limit, z));
}

/** Link geometry between two track segments. */
export interface Link {
  distanceM: number;
  walls: number;
  bodies: number;
  n: number;
  sigma: number;
}

/** Kinds of radio, for sensitivity and how they scan. The gateway's adapter is taken as an nRF52 dongle: a tag's radio. */
export type RadioKind = "tag" | "phone" | "gateway";

/** The radio model over a world: link geometry, mean received power, per-channel and per-packet draws. */
export class Radio {
  readonly values: RadioValues;
  private readonly seed: number;
  private readonly walls: (a: number, b: number) => number;
  /** Per place, the places whose occupants might be heard there, with their walls. */
  private readonly near: { place: number; walls: number }[][];
  private readonly fixtures: { place: number; x: number; y: number }[] = [];

  constructor(readonly world: World, random: Random, values: RadioValues = radioValues()) {
    this.values = values;
    this.seed = random.fork("radio").seed32();
    this.walls = wallsBetweenPlaces(world);
    this.near = world.places.map((p) => this.placesInRange(p));
  }

  /** Best case of any link (loudest EIRP, no body, every draw at its truncation). */
  maxMarginDb(sigma: number): number {
    return 2 * sigma + 3 * this.values.channelSigma + 3 * this.values.packetSigma;
  }

  /** Loudest EIRP any device may have: a tag at the firmware's top TX power (4 dBm) with its antenna. */
  private loudestEirp(): number {
    return 4 + this.values.tagAntennaGain;
  }

  private placesInRange(p: Place): { place: number; walls: number }[] {
    const out: { place: number; walls: number }[] = [];
    for (const q of this.world.places) {
      const walls = this.walls(p.index, q.index);
      const env = this.environment(p, q);
      const best = this.loudestEirp() + Math.max(0, this.values.tagAntennaGain) - pathLossDb(this.values, placeGap(p, q), env.n) - walls * this.values.wallLoss + this.maxMarginDb(env.sigma);
      if (best >= Math.min(this.values.tagSensitivity, this.values.phoneSensitivity)) out.push({ place: q.index, walls });
    }
    return out;
  }

  /** Places from which a device standing in `place` might be heard (itself included). */
  placesNear(place: number): readonly { place: number; walls: number }[] {
    return this.near[place]!;
  }

  /** Environment of a link: within a place, its own; between places, the more lossy coefficient of the two. */
  environment(a: Place, b: Place): { n: number; sigma: number } {
    const ea = environmentValues(this.values, a.spec.environment);
    if (a === b) return ea;
    const eb = environmentValues(this.values, b.spec.environment);
    return ea.n >= eb.n ? ea : eb;
  }

  /**
   * A radio that stays put (the gateway's adapter on the commune hall's desk): a spot of its own, numbered
   * below zero so that it never meets a track segment. Nobody wears it, so no body shadows it.
   */
  addFixture(place: number, x: number, y: number): number {
    this.fixtures.push({ place, x, y });
    return -this.fixtures.length;
  }

  /** Place of a spot (a track segment, or a fixture below zero); AWAY for nowhere. */
  placeOf(spot: number): number {
    return spot < 0 ? this.fixtures[-spot - 1]!.place : this.world.tracks.place[spot]!;
  }

  /** Geometry of the link between two spots (both present in places). */
  link(spotA: number, spotB: number): Link {
    const a = this.position(spotA);
    const b = this.position(spotB);
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const env = this.environment(this.world.places[a.place]!, this.world.places[b.place]!);
    const bodies = (a.heading !== null && bodyBlocks(a.heading, dx, dy) ? 1 : 0) + (b.heading !== null && bodyBlocks(b.heading, -dx, -dy) ? 1 : 0);
    return { distanceM: Math.hypot(dx, dy), walls: this.walls(a.place, b.place), bodies, n: env.n, sigma: env.sigma };
  }

  /** Where a spot is, and which way its wearer faces (null for a fixture). */
  private position(spot: number): { place: number; x: number; y: number; heading: number | null } {
    if (spot < 0) return { ...this.fixtures[-spot - 1]!, heading: null };
    const t = this.world.tracks;
    return { place: t.place[spot]!, x: t.x[spot]!, y: t.y[spot]!, heading: t.heading[spot]! };
  }

  /**
   * Gain of the path between two segments, dB (−path loss − walls − bodies + shadowing): what a sender's
   * EIRP becomes on average at the receiver. The same both ways; −Infinity where even the loudest sender
   * (a tag at 4 dBm) with every draw at its truncation could not reach the more sensitive receiver.
   */
  pathGainDb(segmentA: number, segmentB: number): number {
    const link = this.link(segmentA, segmentB);
    const gain = this.unshadowedDbm(0, link);
    const best = 4 + Math.max(0, this.values.tagAntennaGain) + gain + this.maxMarginDb(link.sigma);
    return best < Math.min(this.values.tagSensitivity, this.values.phoneSensitivity) ? -Infinity : gain + this.shadowDb(segmentA, segmentB, link.sigma);
  }

  /** Mean received power (dBm, before the receiver's reading offset) without shadowing. */
  unshadowedDbm(eirpDbm: number, link: Link): number {
    return eirpDbm - pathLossDb(this.values, link.distanceM, link.n) - link.walls * this.values.wallLoss - link.bodies * this.values.bodyLoss;
  }

  /** Shadowing of a link between two segments, dB (same both ways, fixed while neither moves). */
  shadowDb(segmentA: number, segmentB: number, sigma: number): number {
    const lo = Math.min(segmentA, segmentB);
    const hi = Math.max(segmentA, segmentB);
    return sigma * truncated(hashNormal(this.seed, lo, hi, 0x5eed), 2);
  }

  /** Multipath offset of one advertising channel (0..2) on a link, dB. */
  channelDb(segmentA: number, segmentB: number, channel: number): number {
    const lo = Math.min(segmentA, segmentB);
    const hi = Math.max(segmentA, segmentB);
    return this.values.channelSigma * truncated(hashNormal(this.seed, lo, hi, 37 + channel), 3);
  }

  /** Fading of one packet, dB. */
  packetDb(random: Random): number {
    return this.values.packetSigma * truncated(random.normal(0, 1), 3);
  }

  /** Receiver sensitivity of a kind of radio. */
  sensitivity(kind: RadioKind): number {
    return kind === "phone" ? this.values.phoneSensitivity : this.values.tagSensitivity;
  }

  /** Channel dwell of a kind of scanner, ms. */
  channelDwellMs(kind: RadioKind): number {
    return kind === "phone" ? this.values.phoneChannelDwell : this.values.tagChannelDwell;
  }

  /** A stateless uniform in [0, 1) for an advertising event (its advDelay). */
  eventUniform(transmitter: number, runStart: number, k: number): number {
    return hashUniform(this.seed, transmitter, Math.floor(runStart), k);
  }
}

/** One advertising event: when it starts (world ms), the packet, the conducted TX power (dBm), the sender's address. */
export interface AdvertEvent {
  time: number;
  packet: Uint8Array;
  txPowerDbm: number;
  /** "aa:bb:cc:dd:ee:ff random", as scanners report it. */
  address: string;
}

/** One link as a receiver keeps it: the path gain and, once asked for, the three channels' offsets. */
export interface LinkEntry {
  gainDb: number;
  channelDb: number[] | null;
}

/**
 * The links a receiver keeps while it stands still: per sender segment, the path gain and channel offsets.
 * A receiver scans every few minutes and people stay put for tens of minutes (all night at home), so most
 * scans find their links here; the cache empties whenever the receiver moves.
 */
export class ReceiverLinks {
  private rxSegment = -1;
  private readonly links = new Map<number, LinkEntry>();

  /** The link from `txSegment` to the receiver standing in `rxSegment`. */
  entry(radio: Radio, rxSegment: number, txSegment: number): LinkEntry {
    if (rxSegment !== this.rxSegment) {
      this.links.clear();
      this.rxSegment = rxSegment;
    }
    let entry = this.links.get(txSegment);
    if (!entry) this.links.set(txSegment, (entry = { gainDb: radio.pathGainDb(txSegment, rxSegment), channelDb: null }));
    return entry;
  }
}

/** The channel offsets of a link, computed on first use. */
function channelOffsets(radio: Radio, entry: LinkEntry, txSegment: number, rxSegment: number): number[] {
  if (!entry.channelDb) entry.channelDb = [0, 1, 2].map((ch) => radio.channelDb(txSegment, rxSegment, ch));
  return entry.channelDb;
}

/** What a device has on air over a window, on average: enough for collisions and for aggregate reception. */
export interface AirState {
  txPowerDbm: number;
  /** Advertising events per second, averaged over the window. */
  eventsPerSecond: number;
  /** Packets sent in turn (one per event), and the address they go out from. */
  packets: readonly Uint8Array[];
  address: string;
}

/** One device on the air. */
export interface AirDevice {
  /** Unique over the run (tags and phones alike). */
  id: number;
  kind: RadioKind;
  /** Resident carrying it; −1 for a fixed radio. */
  resident: number;
  /** Antenna gain on transmit, dBi (phones: 0, their calibrated TX power is already effective). */
  txGainDb: number;
  /** What the device reports minus what arrives, dB (antenna gain, calibration error). */
  rssiOffsetDb: number;
  /** Its advertising events starting in [from, until) (world ms), in time order. */
  advertsBetween(from: number, until: number): readonly AdvertEvent[];
  /** What it has on air over [from, until), or null when it is silent. */
  airState(from: number, until: number): AirState | null;
  /** Its links as a receiver. */
  readonly links: ReceiverLinks;
}

/** A device's advertising over a stretch of world time (ms): `packets` in turn, one per event. */
export interface AdvertisingRun {
  from: number;
  until: number;
  packets: readonly Uint8Array[];
  intervalMs: number;
  txPowerDbm: number;
  address: string;
}

/**
 * The events of a run within [from, until): event k at run.from + k·(interval + mean advDelay) moved by
 * its own advDelay draw (event 0 at run.from), as the link layer spaces them.
 */
export function runEvents(radio: Radio, transmitter: number, run: AdvertisingRun, from: number, until: number, out: AdvertEvent[]): void {
  const maxDelay = radio.values.advDelayMax;
  const step = run.intervalMs + maxDelay / 2;
  const lo = Math.max(from, run.from);
  const hi = Math.min(until, run.until);
  if (hi <= lo) return;
  const kFirst = Math.max(0, Math.ceil((lo - run.from - maxDelay / 2) / step));
  const kLast = Math.floor((hi - run.from + maxDelay / 2) / step);
  for (let k = kFirst; k <= kLast; k++) {
    const time = k === 0 ? run.from : run.from + k * step + (radio.eventUniform(transmitter, run.from, k) - 0.5) * maxDelay;
    if (time >= lo && time < hi) out.push({ time, packet: run.packets[k % run.packets.length]!, txPowerDbm: run.txPowerDbm, address: run.address });
  }
}

/** A scan: a receiver listening from `from` to `until` (world ms). */
export interface ScanWindow {
  from: number;
  until: number;
}

/** One advert heard. */
export interface Reception {
  /** World ms. */
  time: number;
  packet: Uint8Array;
  /** As the receiver reports it, dBm (integer). */
  rssi: number;
  /** Sender's device id, address, and conducted TX power (dBm). */
  from: number;
  address: string;
  txPowerDbm: number;
}

/** What one scan window heard of one packet, in aggregate: how often, and how strong as the receiver reports it. */
export interface WindowHeard {
  packet: Uint8Array;
  from: number;
  txPowerDbm: number;
  count: number;
  /** Mean and strongest RSSI of the packets heard, dBm. */
  rssiMean: number;
  rssiMax: number;
}

/** Number of advertising channels. */
const CHANNELS = 3;

/** A sender within reach of a scan, with its link. */
export interface Candidate {
  device: AirDevice;
  air: AirState;
  segment: number;
  link: LinkEntry;
  meanDbm: number;
  /** Chance that one of its packets is lost to an overlapping, not much weaker, packet. */
  collision: number;
}

/** Where a device is: the track segment of its wearer now, or its fixture. */
export type SpotOf = (device: AirDevice) => number;

/** A sender a receiver could hear at all while both stay where they are, with the link between them. */
export interface Audible {
  device: AirDevice;
  segment: number;
  link: LinkEntry;
}

/** The senders a receiver could hear at all, and where the receiver stands. */
export interface AudibleSet {
  rxSegment: number;
  audible: Audible[];
}

/** The senders a receiver can hear during a scan, and where the receiver stands. */
export interface Reach {
  rxSegment: number;
  candidates: Candidate[];
}

/**
 * Of `senders`, those the receiver could hear at all (a path gain above −Infinity) where everyone stands
 * now, as `spotOf` tells. Depends only on positions, so it stays valid while nobody near moves.
 */
export function audible(radio: Radio, receiver: AirDevice, senders: readonly AirDevice[], spotOf: SpotOf): AudibleSet {
  const rxSegment = spotOf(receiver);
  const out: Audible[] = [];
  if (radio.placeOf(rxSegment) === AWAY) return { rxSegment, audible: out };
  for (const device of senders) {
    if (device === receiver || (device.resident >= 0 && device.resident === receiver.resident)) continue;
    const segment = spotOf(device);
    if (radio.placeOf(segment) === AWAY) continue;
    const link = receiver.links.entry(radio, rxSegment, segment);
    if (link.gainDb !== -Infinity) out.push({ device, segment, link });
  }
  return { rxSegment, audible: out };
}

/**
 * The audible senders that have something on air in a window and arrive strong enough to be heard at
 * times, with their mean received power and their chance to be lost in a collision.
 */
export function reach(radio: Radio, receiver: AirDevice, window: ScanWindow, { rxSegment, audible }: AudibleSet): Reach {
  const candidates: Candidate[] = [];
  const sensitivity = radio.sensitivity(receiver.kind);
  const margin = 3 * radio.values.channelSigma + 3 * radio.values.packetSigma;
  for (const { device, segment, link } of audible) {
    const air = device.airState(window.from, window.until);
    if (!air || air.eventsPerSecond <= 0) continue;
    const meanDbm = air.txPowerDbm + device.txGainDb + link.gainDb;
    if (meanDbm + margin >= sensitivity) candidates.push({ device, air, segment, link, meanDbm, collision: 0 });
  }
  // Unslotted-ALOHA collisions: a packet is lost when another sender's packet on the same channel overlaps
  // it (vulnerable time 2 × airtime) and is not weaker by the capture margin.
  candidates.sort((a, b) => b.meanDbm - a.meanDbm);
  const vulnerableS = (2 * radio.values.pduAirtime) / 1000;
  let strongerRate = 0;
  let j = 0;
  for (const c of candidates) {
    while (j < candidates.length && candidates[j]!.meanDbm > c.meanDbm - radio.values.captureMargin) strongerRate += candidates[j++]!.air.eventsPerSecond;
    c.collision = 1 - Math.exp(-vulnerableS * (strongerRate - c.air.eventsPerSecond));
  }
  return { rxSegment, candidates };
}

/** The advertising channel (0..2) a scanner listens on at `time` of a window that began on channel 0. */
function channelAt(radio: Radio, kind: RadioKind, window: ScanWindow, time: number): number {
  return Math.floor((time - window.from) / radio.channelDwellMs(kind)) % CHANNELS;
}

/**
 * Every advert a receiver hears during (part of) a scan, one by one (for tags: each goes to the firmware,
 * whose scan filters decide what it keeps). `scan` is the whole scan (its start sets the channel
 * sequence); `window` the part asked for.
 */
export function receiveEvents(radio: Radio, receiver: AirDevice, { rxSegment, candidates }: Reach, scan: ScanWindow, window: ScanWindow, random: Random, out: (reception: Reception) => void): void {
  const sensitivity = radio.sensitivity(receiver.kind);
  for (const c of candidates) {
    const channelDb = channelOffsets(radio, c.link, c.segment, rxSegment);
    for (const e of c.device.advertsBetween(window.from, window.until)) {
      const arriving = c.meanDbm + channelDb[channelAt(radio, receiver.kind, scan, e.time)]! + radio.packetDb(random);
      if (arriving < sensitivity || random.next() < c.collision) continue;
      out({ time: e.time, packet: e.packet, rssi: reportedRssi(arriving, receiver), from: c.device.id, address: e.address, txPowerDbm: e.txPowerDbm });
    }
  }
}

/**
 * What a receiver hears during a window, per packet in aggregate (for phones, whose apps keep per-scan
 * figures): on each channel the expected number of the sender's events that fall while the scanner listens
 * there, each heard with the chance that its fading clears the sensitivity and it does not collide; the
 * count heard is drawn (Poisson), and the RSSI is the mean of the packet fading above the sensitivity.
 * A sender's packets are those it has on air at the window (an ID change inside it is not split).
 * `accept` picks what the receiver keeps; every candidate still takes air time and collides.
 */
export function receiveAggregate(
  radio: Radio,
  receiver: AirDevice,
  { rxSegment, candidates }: Reach,
  window: ScanWindow,
  random: Random,
  accept: (sender: AirDevice, packet: Uint8Array) => boolean,
  out: (heard: WindowHeard) => void
): void {
  const sensitivity = radio.sensitivity(receiver.kind);
  const sigma = radio.values.packetSigma;
  const dwell = radio.channelDwellMs(receiver.kind);
  const listen = [0, 0, 0];
  for (let t = window.from; t < window.until; t += dwell) listen[channelAt(radio, receiver.kind, window, t)] += (Math.min(window.until, t + dwell) - t) / 1000;
  for (const c of candidates) {
    const perPacketRate = c.air.eventsPerSecond / c.air.packets.length;
    for (const packet of c.air.packets) {
      if (!accept(c.device, packet)) continue;
      const channelDb = channelOffsets(radio, c.link, c.segment, rxSegment);
      let count = 0;
      let sum = 0;
      let max = -Infinity;
      for (let ch = 0; ch < CHANNELS; ch++) {
        if (listen[ch] === 0) continue;
        const mean = c.meanDbm + channelDb[ch]!;
        const alpha = (sensitivity - mean) / sigma;
        const pass = normalTail(alpha);
        const heard = poisson(random, perPacketRate * listen[ch]! * pass * (1 - c.collision));
        if (heard === 0) continue;
        // Mean of the fading above the threshold: μ + σ·φ(α)/Q(α).
        const above = mean + (sigma * Math.exp(-0.5 * alpha * alpha)) / Math.sqrt(2 * Math.PI) / Math.max(pass, 1e-12);
        count += heard;
        sum += heard * above;
        max = Math.max(max, above);
      }
      if (count === 0) continue;
      out({ packet, from: c.device.id, txPowerDbm: c.air.txPowerDbm, count, rssiMean: reportedRssi(sum / count, receiver), rssiMax: reportedRssi(max, receiver) });
    }
  }
}

/** An arriving power as the receiver reports it: its offset added, rounded, within the HCI range. */
function reportedRssi(arrivingDbm: number, receiver: AirDevice): number {
  return Math.round(Math.max(-127, Math.min(20, arrivingDbm + receiver.rssiOffsetDb)));
}

/** P(Z ≥ x) for a standard normal Z (Abramowitz & Stegun 7.1.26 for erfc; error < 1.5·10⁻⁷). */
export function normalTail(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-z * z);
  return x >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/** A Poisson draw with mean `lambda` (Knuth's product method; a rounded normal above 10, within a few % there). */
export function poisson(random: Random, lambda: number): number {
  if (lambda <= 0) return 0;
  if (lambda > 10) return Math.max(0, Math.round(random.normal(lambda, Math.sqrt(lambda))));
  const limit = Math.exp(-lambda);
  let k = 0;
  for (let p = random.next(); p > limit; p *= random.next()) k++;
  return k;
}
