import { expect } from "chai";
import { bytesToHex, hexToBytes } from "../../firmware/bytes";
import { EARLIEST_VALID_TIME } from "../../firmware/clock";
import {
  BEACON_MAC_BYTES,
  CLOCK_LOST_SLOT,
  KIND_BEACON,
  KIND_UNPROVISIONED,
  KIND_WINDOW,
  SLOT_SECONDS,
  SYNC_SERVICE_UUID,
  beaconAdvert,
  beaconIsGenuine,
  beaconMac,
  parseSyncAdvert,
  parseSyncServiceData,
  syncSlot,
  syncWindowAdvert,
  syncWindowScanResponse,
  windowToken,
} from "../../firmware/sync-token";
import { BEACON_WINDOW_GAP_S, beaconWindowOpened, linkFailed, mayOpenWindow, newSyncWindowState, sessionOpened } from "../../firmware/sync-window";
import { parseAdvert } from "../../firmware/advert";
import { nodeSha256 } from "../../tools/gateway/host-crypto";
import vectors from "../vectors/sync-v1.json";

const hex = (h: string) => hexToBytes(h) as Uint8Array;
const tagKey = hex(vectors.tagKey);
const beaconKey = hex(vectors.beaconKey);
/** A time inside the vectors' slot. */
const inSlot = vectors.slot * SLOT_SECONDS + 100;

describe("sync window token and collection-point beacon (firmware/sync-token.ts)", () => {
  it("computes the token and beacon MAC of the v1 vectors (independent Python reference)", () => {
    expect(syncSlot(inSlot)).to.equal(vectors.slot);
    expect(bytesToHex(windowToken(nodeSha256, tagKey, vectors.slot))).to.equal(vectors.windowToken);
    expect(bytesToHex(beaconMac(nodeSha256, beaconKey, vectors.slot))).to.equal(vectors.beaconMac);
  });

  it("builds both adverts byte for byte as documented, within 31 bytes", () => {
    const window = syncWindowAdvert(hex(vectors.windowToken));
    const beacon = beaconAdvert(hex(vectors.beaconMac));
    expect(bytesToHex(window)).to.equal(vectors.windowAdvert);
    expect(bytesToHex(beacon)).to.equal(vectors.beaconAdvert);
    expect(window.length).to.equal(28);
    expect(beacon.length).to.equal(27);
    const unprovisioned = syncWindowAdvert(null);
    expect(bytesToHex(unprovisioned)).to.equal("020106" + "1221" + vectors.windowAdvert.substring(10, 42) + "03");
    const response = syncWindowScanResponse();
    expect(bytesToHex(response.subarray(0, 2))).to.equal("1107");
    // The on-air UUID is the string form's bytes in reverse order.
    expect(bytesToHex(response.subarray(2).reverse())).to.equal(SYNC_SERVICE_UUID.replace(/-/g, ""));
  });

  it("parses its adverts back, and nothing else", () => {
    const window = parseSyncAdvert(syncWindowAdvert(hex(vectors.windowToken)));
    expect(window && window.kind).to.equal(KIND_WINDOW);
    expect(window && bytesToHex(window.code)).to.equal(vectors.windowToken);
    const unprovisioned = parseSyncAdvert(syncWindowAdvert(null));
    expect(unprovisioned && [unprovisioned.kind, unprovisioned.code.length]).to.deep.equal([KIND_UNPROVISIONED, 0]);
    const beacon = parseSyncAdvert(beaconAdvert(hex(vectors.beaconMac)));
    expect(beacon && beacon.kind).to.equal(KIND_BEACON);
    expect(beacon && bytesToHex(beacon.code)).to.equal(vectors.beaconMac);
    // Neither is taken for a rotating-ID advert, and an ID advert is not taken for ours.
    expect(parseAdvert(syncWindowAdvert(hex(vectors.windowToken)))).to.equal(null);
    expect(parseSyncAdvert(hex("0201060303" + "6ffd"))).to.equal(null);
    // Wrong size for the kind, unknown kind, another UUID, a structure running past the end.
    expect(parseSyncServiceData(Uint8Array.of(KIND_WINDOW, 1, 2, 3, 4, 5))).to.equal(null);
    expect(parseSyncServiceData(Uint8Array.of(3, 1, 2, 3, 4, 5, 6))).to.equal(null);
    expect(parseSyncServiceData(new Uint8Array(0))).to.equal(null);
    expect(parseSyncServiceData(Uint8Array.of(KIND_UNPROVISIONED, 0))).to.equal(null);
    const otherUuid = syncWindowAdvert(hex(vectors.windowToken));
    otherUuid[6] ^= 1;
    expect(parseSyncAdvert(otherUuid)).to.equal(null);
    expect(parseSyncAdvert(syncWindowAdvert(hex(vectors.windowToken)).subarray(0, 20))).to.equal(null);
  });

  it("uses slot 0 while the clock is lost, so the token stays the same until a gateway sets the clock", () => {
    expect(syncSlot(EARLIEST_VALID_TIME - 1)).to.equal(CLOCK_LOST_SLOT);
    expect(syncSlot(1234)).to.equal(CLOCK_LOST_SLOT);
    expect(syncSlot(EARLIEST_VALID_TIME)).to.equal(Math.floor(EARLIEST_VALID_TIME / SLOT_SECONDS));
  });

  it("accepts a beacon MAC of the tag's slot ± 1 only, and none with a lost clock", () => {
    for (const delta of [-1, 0, 1]) expect(beaconIsGenuine(nodeSha256, beaconKey, inSlot, beaconMac(nodeSha256, beaconKey, vectors.slot + delta))).to.equal(true);
    for (const delta of [-2, 2]) expect(beaconIsGenuine(nodeSha256, beaconKey, inSlot, beaconMac(nodeSha256, beaconKey, vectors.slot + delta))).to.equal(false);
    expect(beaconIsGenuine(nodeSha256, hex(vectors.tagKey), inSlot, beaconMac(nodeSha256, beaconKey, vectors.slot))).to.equal(false);
    expect(beaconIsGenuine(nodeSha256, beaconKey, inSlot, new Uint8Array(BEACON_MAC_BYTES))).to.equal(false);
    expect(beaconIsGenuine(nodeSha256, beaconKey, 1000, beaconMac(nodeSha256, beaconKey, CLOCK_LOST_SLOT))).to.equal(false);
  });

  it("computes the expected beacon MACs once per slot, so a flood of fake beacons costs no HMAC", () => {
    let hashes = 0;
    const countingSha256 = (m: Uint8Array) => {
      hashes++;
      return nodeSha256(m);
    };
    beaconIsGenuine(countingSha256, beaconKey, inSlot, new Uint8Array(BEACON_MAC_BYTES));
    const afterFirst = hashes;
    for (let i = 0; i < 1000; i++) beaconIsGenuine(countingSha256, beaconKey, inSlot + (i % 100), Uint8Array.of(i & 0xff, 1, 2, 3, 4, 5, 6, 7));
    expect(afterFirst).to.be.greaterThan(0);
    expect(hashes).to.equal(afterFirst);
  });
});

describe("sync window policy (firmware/sync-window.ts)", () => {
  const t0 = 1_710_000_000;

  it("lets a genuine beacon open one window per 30 minutes; a button press always opens one", () => {
    const state = newSyncWindowState();
    expect(mayOpenWindow(state, t0, false)).to.equal(true);
    beaconWindowOpened(state, t0);
    expect(mayOpenWindow(state, t0 + BEACON_WINDOW_GAP_S - 1, false)).to.equal(false);
    expect(mayOpenWindow(state, t0 + 60, true)).to.equal(true);
    expect(mayOpenWindow(state, t0 + BEACON_WINDOW_GAP_S, false)).to.equal(true);
  });

  it("backs off 1, 2, 4 … minutes after failed links, up to 256 minutes, until a session succeeds", () => {
    const state = newSyncWindowState();
    let now = t0;
    const waits: number[] = [];
    for (let failures = 0; failures < 11; failures++) {
      linkFailed(state, now);
      let wait = 0;
      while (!mayOpenWindow(state, now + wait, false)) wait += 60;
      waits.push(wait / 60);
      expect(mayOpenWindow(state, now + 1, true)).to.equal(true);
      now += wait;
    }
    expect(waits).to.deep.equal([1, 2, 4, 8, 16, 32, 64, 128, 256, 256, 256]);
    linkFailed(state, now);
    sessionOpened(state);
    expect(mayOpenWindow(state, now, false)).to.equal(true);
    linkFailed(state, now);
    expect(mayOpenWindow(state, now + 59, false)).to.equal(false);
    expect(mayOpenWindow(state, now + 60, false)).to.equal(true);
  });

  it("does not let a clock set backwards block windows for longer than the gap or backoff", () => {
    const state = newSyncWindowState();
    beaconWindowOpened(state, t0 + 86400 * 365);
    expect(mayOpenWindow(state, t0, false)).to.equal(true);
    linkFailed(state, t0 + 86400 * 365);
    expect(mayOpenWindow(state, t0, false)).to.equal(true);
  });
});
