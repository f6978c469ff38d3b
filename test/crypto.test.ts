import { createCipheriv, createHash } from "node:crypto";
import { expect } from "chai";
import { parseAdvert } from "../firmware/advert";
import { aes128EncryptBlock } from "../firmware/aes128";
import {
  BLUEZONE_IDS_PER_DAY,
  DAY_SECONDS,
  bluezoneAdvert,
  bluezoneChainAt,
  bluezoneChainSeek,
  bluezoneF0Entry,
  bluezoneId,
  bluezoneIdIndex,
  utcDayNumber,
} from "../firmware/bluezone";
import { asciiBytes, byteToInt8, bytesEqual, bytesToHex, concatBytes, hexToBytes, int8ToByte, readUint32LE, writeUint32LE } from "../firmware/bytes";
import { Aes128Block, Sha256 } from "../firmware/crypto-types";
import {
  aemCrypt,
  bluetoothMetadata,
  deriveAemk,
  deriveRpik,
  enIntervalNumber,
  gaenAdvert,
  metadataTxPower,
  rollingProximityIdentifier,
  tekRollingStart,
} from "../firmware/gaen";
import { hkdfSha256 } from "../firmware/hkdf";
import { hmacSha256 } from "../firmware/hmac";
import aesVectors from "./vectors/fips197-aes128.json";
import gaenVectors from "./vectors/gaen-v1.2.json";
import hmacVectors from "./vectors/rfc4231-hmac-sha256.json";
import hkdfVectors from "./vectors/rfc5869-hkdf-sha256.json";

const nodeSha256: Sha256 = (message) => new Uint8Array(createHash("sha256").update(message).digest());

const nodeAes128Block: Aes128Block = (key, block) => {
  const cipher = createCipheriv("aes-128-ecb", key, null);
  cipher.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([cipher.update(block), cipher.final()]));
};

/** Bytes of a hex literal written in a test (spaces allowed). */
function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text.replace(/ /g, ""), "hex"));
}

/** A repeatable stream of test bytes: SHA-256 in counter mode over a label. */
function testBytes(label: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let at = 0, n = 0; at < length; n++, at += 32) {
    out.set(createHash("sha256").update(`${label}/${n}`).digest().subarray(0, Math.min(32, length - at)), at);
  }
  return out;
}

describe("bytes", () => {
  it("round-trips hex and rejects what is not whole bytes of hex", () => {
    const bytes = new Uint8Array([0x00, 0x0f, 0xa0, 0xff]);
    expect(bytesToHex(bytes)).to.equal("000fa0ff");
    expect(Array.from(hexToBytes("000FA0ff")!)).to.deep.equal([0x00, 0x0f, 0xa0, 0xff]);
    expect(hexToBytes("")!.length).to.equal(0);
    expect(hexToBytes("abc")).to.equal(null);
    expect(hexToBytes("0g")).to.equal(null);
    expect(hexToBytes("12 4")).to.equal(null);
  });

  it("writes and reads unsigned 32-bit little-endian numbers, including above 2^31", () => {
    const bytes = new Uint8Array(6);
    writeUint32LE(bytes, 1, 2642976);
    expect(bytesToHex(bytes)).to.equal("0020542800" + "00");
    expect(readUint32LE(bytes, 1)).to.equal(2642976);
    writeUint32LE(bytes, 2, 0xfffffffe);
    expect(bytesToHex(bytes.subarray(2))).to.equal("feffffff");
    expect(readUint32LE(bytes, 2)).to.equal(0xfffffffe);
  });

  it("converts int8 values to bytes and back", () => {
    expect([-128, -1, 0, 8, 127].map(int8ToByte)).to.deep.equal([0x80, 0xff, 0x00, 0x08, 0x7f]);
    expect([0x80, 0xff, 0x00, 0x08, 0x7f].map(byteToInt8)).to.deep.equal([-128, -1, 0, 8, 127]);
  });

  it("concatenates, compares and encodes ASCII", () => {
    expect(bytesToHex(concatBytes([hex("01"), new Uint8Array(0), hex("0203")]))).to.equal("010203");
    expect(bytesEqual(hex("0102"), hex("0102"))).to.equal(true);
    expect(bytesEqual(hex("0102"), hex("0103"))).to.equal(false);
    expect(bytesEqual(hex("0102"), hex("010200"))).to.equal(false);
    expect(bytesToHex(asciiBytes("EN-RPI"))).to.equal("454e2d525049");
  });
});

describe("HMAC-SHA256", () => {
  for (const vector of hmacVectors.cases) {
    it(`matches RFC 4231 test case ${vector.case}`, () => {
      const mac = bytesToHex(hmacSha256(nodeSha256, hex(vector.key), hex(vector.data)));
      // case 5 publishes the first 128 bits only
      expect(mac.substr(0, vector.hmac.length)).to.equal(vector.hmac);
      expect(mac.length).to.equal(64);
    });
  }
});

describe("HKDF-SHA256", () => {
  for (const vector of hkdfVectors.cases) {
    it(`matches RFC 5869 test case ${vector.case}`, () => {
      // PRK = HMAC(salt, IKM); an empty salt must act as 32 zero bytes
      const salt = hex(vector.salt);
      expect(bytesToHex(hmacSha256(nodeSha256, salt.length ? salt : new Uint8Array(32), hex(vector.ikm)))).to.equal(vector.prk);
      const okm = hkdfSha256(nodeSha256, hex(vector.ikm), salt, hex(vector.info), vector.length);
      expect(bytesToHex(okm)).to.equal(vector.okm);
    });
  }

  it("gives output lengths that are not a multiple of 32 and prefixes of longer outputs", () => {
    const ikm = testBytes("hkdf-ikm", 16);
    const long = hkdfSha256(nodeSha256, ikm, new Uint8Array(0), asciiBytes("x"), 70);
    for (const length of [1, 16, 32, 33, 64, 70]) {
      expect(bytesToHex(hkdfSha256(nodeSha256, ikm, new Uint8Array(0), asciiBytes("x"), length))).to.equal(bytesToHex(long.subarray(0, length)));
    }
  });
});

describe("JS AES-128", () => {
  for (const vector of aesVectors.cases) {
    it(`matches FIPS-197 appendix ${vector.name}`, () => {
      expect(bytesToHex(aes128EncryptBlock(hex(vector.key), hex(vector.plaintext)))).to.equal(vector.ciphertext);
    });
  }

  it("matches Node's AES-128-ECB on 500 pseudo-random keys and blocks", () => {
    const material = testBytes("aes-random", 500 * 32);
    for (let i = 0; i < 500; i++) {
      const key = material.subarray(i * 32, i * 32 + 16);
      const block = material.subarray(i * 32 + 16, i * 32 + 32);
      expect(bytesToHex(aes128EncryptBlock(key, block))).to.equal(bytesToHex(nodeAes128Block(key, block)));
    }
  });

  it("leaves its inputs untouched", () => {
    const key = hex(aesVectors.cases[0].key);
    const block = hex(aesVectors.cases[0].plaintext);
    aes128EncryptBlock(key, block);
    expect(bytesToHex(key)).to.equal(aesVectors.cases[0].key);
    expect(bytesToHex(block)).to.equal(aesVectors.cases[0].plaintext);
  });
});

describe("GAEN (Exposure Notification v1.2 test vectors)", () => {
  const tek = hex(gaenVectors.tek);
  const metadata = hex(gaenVectors.metadata);

  it("numbers intervals and finds the TEK rolling start", () => {
    expect(enIntervalNumber(gaenVectors.keyGenerationUnixSeconds)).to.equal(gaenVectors.enIntervalNumber);
    expect(enIntervalNumber(gaenVectors.keyGenerationUnixSeconds + 599)).to.equal(gaenVectors.enIntervalNumber);
    expect(enIntervalNumber(gaenVectors.keyGenerationUnixSeconds + 600)).to.equal(gaenVectors.enIntervalNumber + 1);
    expect(tekRollingStart(gaenVectors.enIntervalNumber + 143)).to.equal(gaenVectors.enIntervalNumber);
    expect(tekRollingStart(gaenVectors.enIntervalNumber + 144)).to.equal(gaenVectors.enIntervalNumber + 144);
  });

  it("derives RPIK and AEMK", () => {
    expect(bytesToHex(deriveRpik(nodeSha256, tek))).to.equal(gaenVectors.rpik);
    expect(bytesToHex(deriveAemk(nodeSha256, tek))).to.equal(gaenVectors.aemk);
  });

  it("builds the metadata 40 08 00 00 for 8 dBm and reads TX power back", () => {
    expect(bytesToHex(bluetoothMetadata(8))).to.equal(gaenVectors.metadata);
    expect(bytesToHex(bluetoothMetadata(-20))).to.equal("40ec0000");
    expect(metadataTxPower(bluetoothMetadata(-20))).to.equal(-20);
    expect(metadataTxPower(metadata)).to.equal(8);
  });

  for (const [name, aes] of [["JS AES", aes128EncryptBlock], ["Node AES", nodeAes128Block]] as const) {
    it(`gives all 144 RPIs and AEMs with the ${name}`, () => {
      const rpik = deriveRpik(nodeSha256, tek);
      const aemk = deriveAemk(nodeSha256, tek);
      expect(gaenVectors.intervals).to.have.length(144);
      for (const interval of gaenVectors.intervals) {
        const rpi = rollingProximityIdentifier(aes, rpik, interval.enIntervalNumber);
        expect(bytesToHex(rpi)).to.equal(interval.rpi);
        const aem = aemCrypt(aes, aemk, rpi, metadata);
        expect(bytesToHex(aem)).to.equal(interval.aem);
        expect(bytesToHex(aemCrypt(aes, aemk, rpi, aem))).to.equal(gaenVectors.metadata);
      }
    });
  }

  it("builds the exact 31-byte advert", () => {
    const first = gaenVectors.intervals[0];
    const advert = gaenAdvert(hex(first.rpi), hex(first.aem));
    expect(bytesToHex(advert)).to.equal(
      "02011a" + // Flags
        "03036ffd" + // complete 16-bit UUID list: 0xFD6F
        "17166ffd" + // service data 0xFD6F, 23 bytes
        "8be6cd371c5c891604bfbe49df845096" + // RPI
        "72033874", // AEM
    );
    expect(advert.length).to.equal(31);
  });
});

describe("Bluezone", () => {
  // Reference written from the published algorithm (BluezoneGlobal/react-native-bluetooth-scan), not from the module.
  const ID_OFFSETS = [0, 4, 8, 12, 16, 18, 20, 22, 24, 26, 28, 30];
  const sha = (data: Uint8Array | string) => createHash("sha256").update(data).digest();
  const referenceDailyKey = (baseKey: Uint8Array, days: number) => {
    let key = Buffer.from(baseKey);
    for (let d = 0; d < days; d++) key = sha(key);
    return key;
  };
  const referenceIds = (dailyKey: Uint8Array) => {
    const ids: string[] = [];
    let subkey = sha(Buffer.concat([dailyKey, Buffer.from("bluzonesubkey", "ascii")]));
    for (let i = 0; i < 96; i++) {
      ids.push(Buffer.from(ID_OFFSETS.map((offset) => subkey[offset])).toString("hex"));
      subkey = sha(subkey);
    }
    return ids;
  };
  const referenceIdAt = (baseKey: Uint8Array, baseDay: number, unixSeconds: number) => {
    const day = Math.floor(unixSeconds / 86400);
    return referenceIds(referenceDailyKey(baseKey, day - baseDay))[Math.floor((unixSeconds % 86400) / 900)];
  };

  const baseKey = testBytes("bluezone-base-key", 32);
  const baseDay = utcDayNumber(Date.UTC(2021, 4, 10, 9, 30) / 1000); // key made mid-morning of 10 May 2021

  it("indexes IDs by UTC quarter hour", () => {
    const midnight = Date.UTC(2021, 4, 11) / 1000;
    expect(utcDayNumber(midnight - 1)).to.equal(utcDayNumber(midnight) - 1);
    expect(bluezoneIdIndex(midnight)).to.equal(0);
    expect(bluezoneIdIndex(midnight + 899)).to.equal(0);
    expect(bluezoneIdIndex(midnight + 900)).to.equal(1);
    expect(bluezoneIdIndex(midnight - 1)).to.equal(95);
  });

  it("takes ID bytes 0, 4, 8, 12, 16, 18, ..., 30 of a subkey", () => {
    const subkey = new Uint8Array(32).map((_, i) => i);
    expect(Array.from(bluezoneId(subkey))).to.deep.equal(ID_OFFSETS);
  });

  it("stepping the chain every 15 minutes over three days gives the reference IDs, across midnights", () => {
    const start = baseDay * DAY_SECONDS;
    let chain = bluezoneChainAt(nodeSha256, baseKey, baseDay);
    for (let t = start; t < start + 3 * DAY_SECONDS; t += 900) {
      chain = bluezoneChainSeek(nodeSha256, chain, utcDayNumber(t), bluezoneIdIndex(t))!;
      expect(bytesToHex(bluezoneId(chain.subkey)), new Date(t * 1000).toISOString()).to.equal(referenceIdAt(baseKey, baseDay, t));
    }
    expect(bytesToHex(chain.dailyKey)).to.equal(referenceDailyKey(baseKey, 2).toString("hex"));
  });

  it("seeks over a day boundary and several days in one jump", () => {
    const day1 = baseDay + 1;
    const beforeMidnight = (day1 + 1) * DAY_SECONDS - 1; // 23:59:59, ID 95
    const afterMidnight = beforeMidnight + 1; // 00:00:00 next day, ID 0
    const late = bluezoneChainSeek(nodeSha256, bluezoneChainAt(nodeSha256, baseKey, baseDay), day1, bluezoneIdIndex(beforeMidnight))!;
    expect(late.index).to.equal(BLUEZONE_IDS_PER_DAY - 1);
    expect(bytesToHex(bluezoneId(late.subkey))).to.equal(referenceIdAt(baseKey, baseDay, beforeMidnight));
    const next = bluezoneChainSeek(nodeSha256, late, utcDayNumber(afterMidnight), bluezoneIdIndex(afterMidnight))!;
    expect(next.index).to.equal(0);
    expect(bytesToHex(bluezoneId(next.subkey))).to.equal(referenceIdAt(baseKey, baseDay, afterMidnight));
    const far = baseDay * DAY_SECONDS + 9 * DAY_SECONDS + 13 * 3600 + 7 * 60;
    const jumped = bluezoneChainSeek(nodeSha256, late, utcDayNumber(far), bluezoneIdIndex(far))!;
    expect(bytesToHex(bluezoneId(jumped.subkey))).to.equal(referenceIdAt(baseKey, baseDay, far));
  });

  it("refuses to seek backwards and stays put when asked for the same ID", () => {
    const chain = bluezoneChainSeek(nodeSha256, bluezoneChainAt(nodeSha256, baseKey, baseDay), baseDay + 1, 40)!;
    expect(bluezoneChainSeek(nodeSha256, chain, baseDay + 1, 39)).to.equal(null);
    expect(bluezoneChainSeek(nodeSha256, chain, baseDay, 95)).to.equal(null);
    const same = bluezoneChainSeek(nodeSha256, chain, baseDay + 1, 40)!;
    expect(bytesToHex(same.subkey)).to.equal(bytesToHex(chain.subkey));
  });

  it("builds the exact 23-byte advert", () => {
    const id = hex("0102030405060708090a0b0c");
    expect(bytesToHex(bluezoneAdvert(id))).to.equal(
      "02011a" + // Flags
        "0303564e" + // complete 16-bit UUID list: 0x4E56
        "0fffb522" + // manufacturer data, company 0x22B5 (8885)
        "0102030405060708090a0b0c", // ID
    );
  });

  it("shapes an F0 entry as the apps read it", () => {
    const dailyKey = referenceDailyKey(baseKey, 3);
    const entry = bluezoneF0Entry(new Uint8Array(dailyKey), baseDay + 3, (baseDay + 5) * DAY_SECONDS);
    expect(entry).to.deep.equal({
      daily_key: dailyKey.toString("hex"),
      time_start: (baseDay + 3) * 86400,
      max: 96,
      time_end: (baseDay + 5) * 86400,
    });
    expect(JSON.parse(JSON.stringify({ data: [entry] })).data[0].daily_key).to.match(/^[0-9a-f]{64}$/);
  });
});

describe("advert parser", () => {
  const first = gaenVectors.intervals[0];
  const gaen = gaenAdvert(hex(first.rpi), hex(first.aem));
  const bluezone = bluezoneAdvert(hex("a1a2a3a4a5a6a7a8a9aaabac"));

  it("reads a GAEN advert's RPI and AEM", () => {
    const received = parseAdvert(gaen)!;
    expect(received.profile).to.equal("gaen");
    expect(bytesToHex(received.id)).to.equal(first.rpi);
    expect(bytesToHex(received.aem!)).to.equal(first.aem);
  });

  it("reads a Bluezone advert's ID", () => {
    const received = parseAdvert(bluezone)!;
    expect(received.profile).to.equal("bluezone");
    expect(bytesToHex(received.id)).to.equal("a1a2a3a4a5a6a7a8a9aaabac");
    expect(received.aem).to.equal(null);
  });

  it("accepts the structures in another order, with others around them and zero padding after", () => {
    // phone-style: manufacturer data before the UUID list, a TX power level structure, padding to 31
    const reordered = hex("0fffb522 a1a2a3a4a5a6a7a8a9aaabac 020a07 0303564e 02011a 0000000000");
    expect(bytesToHex(parseAdvert(reordered)!.id)).to.equal("a1a2a3a4a5a6a7a8a9aaabac");
    const withName = concatBytes([hex("05097461672d"), gaen.subarray(3)]);
    expect(bytesToHex(parseAdvert(withName)!.id)).to.equal(first.rpi);
  });

  it("returns null for adverts of other kinds", () => {
    expect(parseAdvert(new Uint8Array(0))).to.equal(null);
    expect(parseAdvert(hex("02011a 0303aafe 1116aafe 10f403676f6f676c652e636f6d2f"))).to.equal(null); // Eddystone-URL
    expect(parseAdvert(hex("02011a 1aff4c000215 00112233445566778899aabbccddeeff 00010002c5"))).to.equal(null); // iBeacon
    expect(parseAdvert(hex("02011a 03036ffd"))).to.equal(null); // GAEN UUID listed, no service data
    expect(parseAdvert(hex("0fffb622 a1a2a3a4a5a6a7a8a9aaabac"))).to.equal(null); // another company
  });

  it("returns null for truncated structures", () => {
    expect(parseAdvert(gaen.subarray(0, 30))).to.equal(null);
    expect(parseAdvert(bluezone.subarray(0, 22))).to.equal(null);
    expect(parseAdvert(concatBytes([gaen, hex("05ff0102")]))).to.equal(null); // good ID, then a structure running past the end
    expect(parseAdvert(hex("0316"))).to.equal(null);
  });

  it("returns null when a zero length ends the data before the ID", () => {
    expect(parseAdvert(concatBytes([hex("02011a 00"), gaen.subarray(3)]))).to.equal(null);
  });

  it("returns null for GAEN or Bluezone structures of the wrong size", () => {
    expect(parseAdvert(hex("16166ffd" + first.rpi + "720338"))).to.equal(null); // 19-byte payload
    expect(parseAdvert(hex("18166ffd" + first.rpi + "7203387400"))).to.equal(null); // 21-byte payload
    expect(parseAdvert(hex("0effb522 a1a2a3a4a5a6a7a8a9aaab"))).to.equal(null); // 11-byte ID
    expect(parseAdvert(hex("10ffb522 a1a2a3a4a5a6a7a8a9aaabacad"))).to.equal(null); // 13-byte ID
    expect(parseAdvert(hex("02166f"))).to.equal(null); // header cut inside the UUID
  });

  it("never throws on arbitrary bytes", () => {
    const noise = testBytes("advert-noise", 31 * 2000);
    let parsed = 0;
    for (let i = 0; i < 2000; i++) {
      const data = noise.subarray(i * 31, i * 31 + (i % 32));
      if (parseAdvert(data) !== null) parsed++;
    }
    expect(parsed).to.equal(0);
  });
});
