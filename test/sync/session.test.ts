import { expect } from "chai";
import { bytesToHex, hexToBytes } from "../../firmware/bytes";
import { ERR_BAD_MAC, ERR_MALFORMED, ERR_REPLAY } from "../../firmware/sync-errors";
import { TO_GATEWAY, TO_TAG, gatewayProof, macMatches, newSession, seal, sessionKey, tagProof, unseal } from "../../firmware/sync-session";
import { nodeSha256 } from "../../tools/gateway/host-crypto";
import vectors from "../vectors/sync-v1.json";

const hex = (h: string) => hexToBytes(h) as Uint8Array;
const tagKey = hex(vectors.tagKey);
const nonceG = hex(vectors.nonceG);
const nonceT = hex(vectors.nonceT);

/** A pair of session ends under one key, as tag and gateway hold them after a handshake. */
function pair() {
  const key = sessionKey(nodeSha256, tagKey, nonceG, nonceT);
  return { gateway: newSession(key, TO_TAG), tag: newSession(key, TO_GATEWAY) };
}

describe("sync session (firmware/sync-session.ts)", () => {
  it("derives the proofs and the session key of the v1 vectors (independent Python reference)", () => {
    expect(bytesToHex(tagProof(nodeSha256, tagKey, nonceG, nonceT))).to.equal(vectors.tagProof);
    expect(bytesToHex(gatewayProof(nodeSha256, tagKey, nonceG, nonceT))).to.equal(vectors.gatewayProof);
    expect(bytesToHex(sessionKey(nodeSha256, tagKey, nonceG, nonceT))).to.equal(vectors.sessionKey);
  });

  it("seals both directions exactly as the vectors (MAC over dir ‖ seq ‖ ciphertext, keystream with dir)", () => {
    const { gateway, tag } = pair();
    expect(bytesToHex(seal(nodeSha256, gateway, hex(vectors.sealedToTag.plaintext)))).to.equal(vectors.sealedToTag.sealed);
    expect(bytesToHex(seal(nodeSha256, tag, hex(vectors.sealedToGateway.plaintext)))).to.equal(vectors.sealedToGateway.sealed);
  });

  it("opens what the other side sealed, in order, across keystream blocks", () => {
    const { gateway, tag } = pair();
    for (const length of [1, 31, 32, 33, 200, 499]) {
      const plaintext = Uint8Array.from({ length }, (_, i) => i & 0xff);
      expect(unseal(nodeSha256, tag, seal(nodeSha256, gateway, plaintext))).to.deep.equal(plaintext);
      expect(unseal(nodeSha256, gateway, seal(nodeSha256, tag, plaintext))).to.deep.equal(plaintext);
    }
  });

  it("encrypts: the same plaintext with the same seq differs between the two directions", () => {
    const { gateway, tag } = pair();
    const plaintext = new Uint8Array(64);
    const a = seal(nodeSha256, gateway, plaintext);
    const b = seal(nodeSha256, tag, plaintext);
    expect(bytesToHex(a.subarray(0, 4))).to.equal(bytesToHex(b.subarray(0, 4))); // both seq 1
    expect(bytesToHex(a.subarray(4, 68))).to.not.equal(bytesToHex(b.subarray(4, 68)));
    expect(a.subarray(4, 68).some((x) => x !== 0)).to.equal(true);
  });

  it("refuses a replayed or reordered message with ERR_REPLAY and keeps accepting the right ones", () => {
    const { gateway, tag } = pair();
    const first = seal(nodeSha256, gateway, Uint8Array.of(1));
    const second = seal(nodeSha256, gateway, Uint8Array.of(2));
    expect(unseal(nodeSha256, tag, second)).to.deep.equal(Uint8Array.of(2));
    expect(unseal(nodeSha256, tag, first)).to.equal(ERR_REPLAY);
    expect(unseal(nodeSha256, tag, second)).to.equal(ERR_REPLAY);
    expect(unseal(nodeSha256, tag, seal(nodeSha256, gateway, Uint8Array.of(3)))).to.deep.equal(Uint8Array.of(3));
  });

  it("refuses any single flipped bit, a message reflected back to its sender, and a short message", () => {
    const { gateway, tag } = pair();
    const sealed = seal(nodeSha256, gateway, Uint8Array.of(0x11, 1, 2, 3, 4, 5));
    for (let bit = 0; bit < sealed.length * 8; bit++) {
      const tampered = sealed.slice();
      tampered[bit >> 3] ^= 1 << (bit & 7);
      expect(unseal(nodeSha256, tag, tampered), `bit ${bit}`).to.equal(ERR_BAD_MAC);
    }
    expect(unseal(nodeSha256, gateway, sealed)).to.equal(ERR_BAD_MAC);
    expect(unseal(nodeSha256, tag, sealed.subarray(0, 11))).to.equal(ERR_MALFORMED);
    expect(unseal(nodeSha256, tag, sealed)).to.deep.equal(Uint8Array.of(0x11, 1, 2, 3, 4, 5));
  });

  it("compares MACs by every byte", () => {
    expect(macMatches(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3))).to.equal(true);
    expect(macMatches(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 4))).to.equal(false);
    expect(macMatches(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2))).to.equal(false);
    expect(macMatches(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 3))).to.equal(false);
  });
});
