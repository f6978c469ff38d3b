/**
 * The gateway's side of the sync protocol driven by hand — by a test playing a gateway that sends what the
 * engine never would, or an attacker — with the protocol's own frame and session code. Subclasses say how
 * a message reaches the tag: the bare handler (test/sync/harness.ts RawGateway) or a GATT link to a tag
 * running the compiled firmware (test/e2e/harness.ts RawClient).
 */
import { concatBytes } from "../../firmware/bytes";
import { OP_ERROR, OP_HELLO, OP_PROOF, decodeChallenge, encodeHello, message } from "../../firmware/sync-messages";
import { NONCE_BYTES, Session, TO_TAG, handshakeMac, newSession } from "../../firmware/sync-session";
import { nodeSha256 } from "../../tools/gateway/host-crypto";
import { hostRandom } from "./random";

/** The error code an error message carries, or null for any other message. */
export function errorCode(m: Uint8Array): number | null {
  return m.length === 3 && m[0] === OP_ERROR ? m[1]! : null;
}

/** What the tag answered: whole messages, unsealed once the session is open. */
export interface PeerAnswer {
  messages: Uint8Array[];
}

/** Plain and sealed messages, and the handshake, over whatever `send` does with a whole message. */
export abstract class RawSyncPeer<Answer extends PeerAnswer> {
  session: Session | null = null;

  constructor(readonly mtu: number) {}

  /** Sends `wire` to the tag as the fragments of one message; returns what came back meanwhile. */
  abstract send(wire: Uint8Array): Answer;

  /** A plain message. */
  plain(opcode: number, body: Uint8Array = new Uint8Array(0)): Answer {
    return this.send(message(opcode, body));
  }

  /** `opcode ‖ body` sealed in the session. */
  sealed(opcode: number, body: Uint8Array = new Uint8Array(0)): Answer {
    return this.send(this.seal(message(opcode, body)));
  }

  /** `plaintext` sealed as the gateway's next message (not sent). */
  seal(plaintext: Uint8Array): Uint8Array {
    if (!this.session) throw new Error("no session");
    return this.session.seal(plaintext);
  }

  /** The handshake under `tagKey` (the right key or a guess); returns the tag's answer to PROOF. */
  handshake(tagKey: Uint8Array): Answer {
    this.session = null;
    const nonceG = hostRandom(NONCE_BYTES);
    const hello = this.plain(OP_HELLO, encodeHello({ mtu: this.mtu, nonce: nonceG }));
    const challenge = hello.messages.length === 1 ? decodeChallenge(hello.messages[0]!.subarray(1)) : null;
    if (!challenge) throw new Error("no challenge");
    const nonces = concatBytes([nonceG, challenge.nonce]);
    this.session = newSession(nodeSha256, handshakeMac(nodeSha256, tagKey, nonces, "session"), TO_TAG);
    return this.plain(OP_PROOF, handshakeMac(nodeSha256, tagKey, nonces, "gateway"));
  }

  /**
   * A received message: unsealed when the session is open and it is not a plain 3-byte error; the unseal
   * error code when it does not unseal.
   */
  protected open(wire: Uint8Array): Uint8Array | number {
    if (!this.session || errorCode(wire) !== null) return wire;
    return this.session.unseal(wire);
  }
}
