/**
 * Bluezone IDs through the compiled firmware, checked against an independent derivation with Node's crypto
 * from the published algorithm (BluezoneGlobal/react-native-bluetooth-scan v3), across a UTC midnight, with
 * both profiles on: the tag alternates its GAEN and Bluezone packets.
 */
import { createHash } from "node:crypto";
import { expect } from "chai";
import { bytesToHex } from "../../firmware/bytes";
import { DEFAULT_CONFIG } from "../../firmware/config";
import { aemCrypt, bluetoothMetadata, deriveAemk, deriveRpik, enIntervalNumber, gaenAdvert, rollingProximityIdentifier } from "../../firmware/gaen";
import { tekOfDay } from "../../firmware/exposure-keys";
import { nodeAes128, nodeSha256 } from "../../tools/gateway/host-crypto";
import { bootTag, expectNoErrors, firmwareBundle, Firmware, newWorld, onAir, savedKeys } from "./harness";

const DAY_S = 86400;
/** 2024-03-18, a UTC day number. */
const DAY = 19800;
/** Bluezone IDs change every quarter hour from UTC midnight. */
const QUARTER_S = 900;
/** The base key was made two days before: the tag hashes it forward to today's daily key. */
const BASE_DAY = DAY - 2;
const BASE_KEY = createHash("sha256").update("zonetag bluezone test base key").digest();
/** ID bytes = subkey bytes at these offsets. */
const ID_OFFSETS = [0, 4, 8, 12, 16, 18, 20, 22, 24, 26, 28, 30];
/** Flags · complete 16-bit UUID list 0x4E56 · manufacturer data, company 0x22B5. */
const BLUEZONE_HEADER = "02011a" + "0303564e" + "0fffb522";
const GAEN_UUID_LIST = "03036ffd";

function sha256(...parts: Buffer[]): Buffer {
  return createHash("sha256").update(Buffer.concat(parts)).digest();
}

/** The Bluezone ID valid at unix time `t` for a base key made on `baseDay`, from the published algorithm. */
function expectedBluezoneId(baseKey: Buffer, baseDay: number, t: number): string {
  const day = Math.floor(t / DAY_S);
  let dailyKey = baseKey;
  for (let d = baseDay; d < day; d++) dailyKey = sha256(dailyKey);
  let subkey = sha256(dailyKey, Buffer.from("bluzonesubkey", "ascii"));
  for (let i = 0; i < Math.floor((t - day * DAY_S) / QUARTER_S); i++) subkey = sha256(subkey);
  return Buffer.from(ID_OFFSETS.map((offset) => subkey[offset]!)).toString("hex");
}

describe("firmware: Bluezone IDs on air", function () {
  let firmware: Firmware;
  before(async () => {
    firmware = await firmwareBundle();
  });

  it("sends the published algorithm's ID at each quarter hour across a UTC midnight, alternating with GAEN", () => {
    const start = DAY * DAY_S + 23 * 3600;
    const world = newWorld(start);
    const tek = "00112233445566778899aabbccddeeff";
    const tag = bootTag(world, firmware, {
      time: start,
      config: { gaen: true, bluezone: true },
      keys: { teks: [[DAY, tek]], bzDay: BASE_DAY, bzKey: BASE_KEY.toString("hex") },
    });

    // 23:00 to 01:00: eight rotations, the fifth at midnight.
    for (let t = start; t <= start + 2 * 3600; t += QUARTER_S) {
      const events = onAir(tag, t * 1000, t * 1000 + 3000);
      const when = new Date(t * 1000).toISOString();
      expect(events.length, when).to.be.greaterThan(4);
      const [first, second] = events;
      // The first event after the rotation sends the GAEN packet, then they alternate.
      expect(bytesToHex(first!.packet).slice(6, 14), when).to.equal(GAEN_UUID_LIST);
      events.forEach((event, n) => expect(event.packet, `${when} event ${n}`).to.deep.equal(events[n % 2]!.packet));
      expect(bytesToHex(second!.packet), when).to.equal(BLUEZONE_HEADER + expectedBluezoneId(BASE_KEY, BASE_DAY, t));

      // GAEN: the TEK the tag keeps for the day (the given one, then the one it made at midnight).
      const day = Math.floor(t / DAY_S);
      const dayTek = tekOfDay(savedKeys(tag), day)!;
      if (day === DAY) expect(bytesToHex(dayTek)).to.equal(tek);
      const rpi = rollingProximityIdentifier(nodeAes128, deriveRpik(nodeSha256, dayTek), enIntervalNumber(t));
      const aem = aemCrypt(nodeAes128, deriveAemk(nodeSha256, dayTek), rpi, bluetoothMetadata(DEFAULT_CONFIG.txPower + DEFAULT_CONFIG.txCalibrationDb));
      expect(bytesToHex(first!.packet), when).to.equal(bytesToHex(gaenAdvert(rpi, aem)));
    }
    const keys = savedKeys(tag);
    expect(keys.teks.map((t) => t[0])).to.deep.equal([DAY, DAY + 1]);
    expect(keys.teks[1]![1]).to.not.equal(tek);
    // The chain is kept from its base day: no key of a later day was stored in its place.
    expect([keys.bzDay, keys.bzKey]).to.deep.equal([BASE_DAY, BASE_KEY.toString("hex")]);
    expectNoErrors(tag);
  });
});
