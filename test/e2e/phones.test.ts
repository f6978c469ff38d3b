/**
 * Phones heard by a tag, end to end: the adverts of a GAEN phone (from a known TEK) and of a Bluezone phone
 * (from a known daily key), crafted with the firmware's own ID code, reach the compiled firmware's scans for
 * half an hour; the tag is synced; then a diagnosis-key file holding that key — a GAEN export zip written by
 * an independent protobuf encoder, or a Bluezone F0 list written here as the Bluezone server does — is
 * imported and matched: the tag's resident is listed to call.
 */
import { expect } from "chai";
import { generateKeyPairSync } from "node:crypto";
import { bluezoneAdvert, bluezoneChainAt, bluezoneChainSeek, bluezoneId, bluezoneIdIndex, DAY_SECONDS, utcDayNumber } from "../../firmware/bluezone";
import { bytesToHex } from "../../firmware/bytes";
import {
  aemCrypt,
  bluetoothMetadata,
  deriveAemk,
  deriveRpik,
  enIntervalNumber,
  gaenAdvert,
  rollingProximityIdentifier,
  TEK_ROLLING_PERIOD,
} from "../../firmware/gaen";
import type { ReceivedAdvert } from "../../sim/espruino/nrf";
import { nodeAes128, nodeSha256 } from "../../tools/gateway/host-crypto";
import { KeyImport } from "../../tools/gateway/store";
import { parseKeyFile } from "../../tools/gateway/key-files";
import { matchExposures } from "../../tools/gateway/matching";
import { expectNoErrors, runScans } from "../firmware/harness";
import { exportBin, exportSig, zipOf } from "../gateway/export-writer";
import { testBytes } from "../gateway/helpers";
import { Commune, closeCommune, handOut, newCommune, syncAtDesk } from "./harness";

/** 2025-03-04T09:00:00Z. */
const START_S = Date.UTC(2025, 2, 4, 9, 0) / 1000;
/** How long the phone's owner sits next to the tag's wearer. */
const CONTACT_MS = 30 * 60_000;
/** A phone on the table next to the wrist: strong. */
const RSSI_NEAR = -45;
/** The phone's calibrated TX power, as its AEM carries it. */
const PHONE_TX_DBM = -4;
/** A key server's signing key pair (the file is checked with its public half). */
const keyServer = generateKeyPairSync("ec", { namedCurve: "P-256" });

/** A random static address made from a rotating ID, so that it changes with the ID as phones do. */
function addressOf(id: Uint8Array): string {
  const bytes = Array.from(id.subarray(0, 6));
  bytes[0]! |= 0xc0;
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":") + " random";
}

/** What a GAEN phone with `tek` sends at unix time `t`: the RPI and AEM of that 10-minute interval. */
function gaenPhone(tek: Uint8Array): (t: number) => ReceivedAdvert {
  const rpik = deriveRpik(nodeSha256, tek);
  const aemk = deriveAemk(nodeSha256, tek);
  return (t) => {
    const rpi = rollingProximityIdentifier(nodeAes128, rpik, enIntervalNumber(t));
    return { address: addressOf(rpi), rssi: RSSI_NEAR, data: gaenAdvert(rpi, aemCrypt(nodeAes128, aemk, rpi, bluetoothMetadata(PHONE_TX_DBM))) };
  };
}

/** What a Bluezone phone whose daily key of UTC day `day` is `dailyKey` sends at unix time `t` (on that day or later). */
function bluezonePhone(dailyKey: Uint8Array, day: number): (t: number) => ReceivedAdvert {
  return (t) => {
    const chain = bluezoneChainSeek(nodeSha256, bluezoneChainAt(nodeSha256, dailyKey, day), utcDayNumber(t), bluezoneIdIndex(t))!;
    const id = bluezoneId(chain.subkey);
    return { address: addressOf(id), rssi: RSSI_NEAR, data: bluezoneAdvert(id) };
  };
}

/** A commune with one resident wearing a tag that sat next to `phone` for CONTACT_MS, then was synced. */
async function tagNextTo(phone: (t: number) => ReceivedAdvert): Promise<{ commune: Commune; resident: number }> {
  const commune = await newCommune(START_S);
  const resident = commune.store.addResident({ name: "Phạm Thị Hoa", household: "Thôn 1", contactName: "Phạm Văn Long", contactPhone: "0903 222 333" }, "staff");
  const tag = await handOut(commune, "hoa", "T-HOA", resident);
  const taken = runScans(tag, commune.world.now() + CONTACT_MS, (timeMs) => [phone(timeMs / 1000)]);
  expect(taken, "scans that heard the phone").to.be.at.least(6);
  commune.world.runUntil(commune.world.now() + 15 * 60_000); // the phone's owner leaves: the encounters close
  const report = await syncAtDesk(commune, tag, "T-HOA");
  expect(report.outcome).to.equal("ok");
  expect(report.stored, "encounters stored").to.be.at.least(2);
  expectNoErrors(tag);
  return { commune, resident };
}

/** Imports a key file and matches it; the commune's only resident must be the one listed to call. */
function expectListed(commune: Commune, resident: number, file: KeyImport): void {
  const imported = commune.store.importDiagnosisKeys(file, "staff", commune.now());
  expect(imported.added).to.equal(1);
  const match = matchExposures(commune.store, { actor: "staff", at: commune.now(), importId: imported.importId });
  expect(match.alertedTags).to.deep.equal(["T-HOA"]);
  expect(match.residentsToCall).to.have.length(1);
  expect(match.residentsToCall[0]).to.deep.include({ residentId: resident, name: "Phạm Thị Hoa", contactName: "Phạm Văn Long", contactPhone: "0903 222 333" });
  const days = match.residentsToCall[0]!.days;
  expect(days.map((d) => d.day)).to.deep.equal([utcDayNumber(START_S)]);
  expect(days[0]!.weightedMinutes).to.be.at.least(15);
}

describe("e2e: a phone heard by a tag (compiled firmware, real gateway)", function () {
  let commune: Commune | undefined;
  afterEach(() => commune && closeCommune(commune));

  it("a GAEN phone's TEK in an independently written, signed export zip lists the tag's resident", async () => {
    const tek = testBytes("e2e phone tek", 16);
    const nextTo = await tagNextTo(gaenPhone(tek));
    commune = nextTo.commune;
    const bin = exportBin([{ keyData: tek, rollingStart: utcDayNumber(START_S) * TEK_ROLLING_PERIOD, rollingPeriod: TEK_ROLLING_PERIOD, reportType: 1 }]);
    const zip = await zipOf({ "export.bin": bin, "export.sig": exportSig(bin, keyServer.privateKey) });
    const file = await parseKeyFile("phone-export.zip", zip, keyServer.publicKey);
    if ("error" in file) throw new Error(file.error);
    expect(file.signature).to.equal("verified");
    expectListed(commune, nextTo.resident, file);
  });

  it("a Bluezone phone's daily key in an F0 list lists the tag's resident", async () => {
    const day = utcDayNumber(START_S);
    const dailyKey = testBytes("e2e phone bluezone daily key", 32);
    const nextTo = await tagNextTo(bluezonePhone(dailyKey, day));
    commune = nextTo.commune;
    // As the Bluezone server publishes a positive case (DESIGN.md, "F0 exchange format").
    const f0 = JSON.stringify({ data: [{ daily_key: bytesToHex(dailyKey), time_start: day * DAY_SECONDS, max: 96, time_end: START_S + 3 * 3600 }] });
    const file = await parseKeyFile("bluezone-f0.json", new TextEncoder().encode(f0), null);
    if ("error" in file) throw new Error(file.error);
    expectListed(commune, nextTo.resident, file);
  });
});
