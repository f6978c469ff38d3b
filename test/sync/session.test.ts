import { expect } from "chai";
import { bytesToHex, hexToBytes } from "../../firmware/bytes";
import { ERR_BAD_MAC, ERR_MALFORMED, ERR_REPLAY } from "../../firmware/sync-errors";
import { TO_GATEWAY, TO_TAG, handshakeMac, macMatches, newSession } from "../../firmware/sync-session";
import { nodeSha256 } from "../../tools/gateway/host-crypto";
import vectors from "../vectors/sync-v1.json";

const hex = (h: string) => hexToBytes(h) as Uint8Array;
const tagKey = hex(vectors.tagKey);
/** nonceG ‖ nonceT, as the handshake MACs them. */
const nonces = hex(vectors.nonceG + vectors.nonceT);

/** A pair of session ends under one key, as tag and gateway hold them after a handshake. */
function pair() {
  const key = handshakeMac(nodeSha256, tagKey, nonces, "session");
  return { gateway: newSession(nodeSha256, key, TO_TAG), tag: newSession(nodeSha256, key, TO_GATEWAY) };
}

describe("sync session (firmware/sync-session.ts)", () => {
  it("derives the proofs and the session key of the v1 vectors (independent Python reference)", () => {
    expect(bytesToHex(handshakeMac(nodeSha256, tagKey, nonces, "tag"))).to.equal(vectors.tagProof);
    expect(bytesToHex(handshakeMac(nodeSha256, tagKey, nonces, "gateway"))).to.equal(vectors.gatewayProof);
    expect(bytesToHex(handshakeMac(nodeSha256, tagKey, nonces, "session"))).to.equal(vectors.sessionKey);
  });

  it("seals both directions exactly as the vectors (MAC over dir ‖ seq ‖ ciphertext, keystream with dir)", () => {
    const { gateway, tag } = pair();
    expect(bytesToHex(gateway.seal(hex(vectors.sealedToTag.plaintext)))).to.equal(vectors.sealedToTag.sealed);
    expect(bytesToHex(tag.seal(hex(vectors.sealedToGateway.plaintext)))).to.equal(vectors.sealedToGateway.sealed);
  });

  it("opens what the other side sealed, in order, across keystream blocks", () => {
    const { gateway, tag } = pair();
    for (const length of [1, 31, 32, 33, 200, 499]) {
      const plaintext = Uint8Array.from({ length }, (_, i) => i & 0xff);
      expect(tag.unseal(gateway.seal(plaintext))).to.deep.equal(plaintext);
      expect(gateway.unseal(tag.seal(plaintext))).to.deep.equal(plaintext);
    }
  });

  it("encrypts: the same plaintext with the same seq differs between the two directions", () => {
    const { gateway, tag } = pair();
    const plaintext = new Uint8Array(64);
    const a = gateway.seal(plaintext);
    const b = tag.seal(plaintext);
    expect(bytesToHex(a.subarray(0, 4))).to.equal(bytesToHex(b.subarray(0, 4))); // both seq 1
    expect(bytesToHex(a.subarray(4, 68))).to.not.equal(bytesToHex(b.subarray(4, 68)));
    expect(a.subarray(4, 68).some((x) => x !== 0)).to.equal(true);
  });

  it("refuses a replayed or reordered message with ERR_REPLAY and keeps accepting the right ones", () => {
    const { gateway, tag } = pair();
    const first = gateway.seal(Uint8Array.of(1));
    const second = gateway.seal(Uint8Array.of(2));
    expect(tag.unseal(second)).to.deep.equal(Uint8Array.of(2));
    expect(tag.unseal(first)).to.equal(ERR_REPLAY);
    expect(tag.unseal(second)).to.equal(ERR_REPLAY);
    expect(tag.unseal(gateway.seal(Uint8Array.of(3)))).to.deep.equal(Uint8Array.of(3));
  });

  it("refuses any single flipped bit, a message reflected back to its sender, and a short message", () => {
    const { gateway, tag } = pair();
    const sealed = gateway.seal(Uint8Array.of(0x11, 1, 2, 3, 4, 5));
    for (let bit = 0; bit < sealed.length * 8; bit++) {
      const tampered = sealed.slice();
      tampered[bit >> 3] ^= 1 << (bit & 7);
      expect(tag.unseal(tampered), `bit ${bit}`).to.equal(ERR_BAD_MAC);
    }
    expect(gateway.unseal(sealed)).to.equal(ERR_BAD_MAC);
    expect(tag.unseal(sealed.subarray(0, 11))).to.equal(ERR_MALFORMED);
    expect(tag.unseal(sealed)).to.deep.equal(Uint8Array.of(0x11, 1, 2, 3, 4, 5));
  });

  it("compares MACs by every byte", () => {
    expect(macMatches(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3))).to.equal(true);
    expect(macMatches(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 4))).to.equal(false);
    expect(macMatches(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2))).to.equal(false);
    expect(macMatches(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 3))).to.equal(false);
  });
});
