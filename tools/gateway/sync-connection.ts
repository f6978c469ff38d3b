/**
 * The gateway's end of one sync link: requests out as fragments, responses back through reassembly, the
 * handshake, and sealing once the session is open. The frame, message and session code is the tag's own
 * (firmware/sync-*.ts), so both ends cannot drift apart. One request is in flight at a time; the tag
 * answers each with exactly one message.
 */
import { randomBytes } from "node:crypto";
import { Sha256 } from "../../firmware/crypto-types";
import * as errors from "../../firmware/sync-errors";
import { concatBytes } from "../../firmware/bytes";
import { newReassembler, splitMessage } from "../../firmware/sync-frame";
import { OP_ERROR, OP_HELLO, OP_PROOF, RESPONSE, decodeChallenge, encodeHello, message } from "../../firmware/sync-messages";
import { NONCE_BYTES, Session, TO_TAG, handshakeMac, macMatches, newSession } from "../../firmware/sync-session";
import { TagLink } from "./transport";

/** How long the gateway waits for an answer before giving up on the link. */
export const DEFAULT_RESPONSE_TIMEOUT_MS = 10_000;
/** Bytes of a plain error message: FF ‖ code ‖ opcode. */
const ERROR_MESSAGE_BYTES = 3;

/** Staff-readable meaning of each sync error code. */
const ERROR_TEXT: Record<number, string> = {
  [errors.ERR_MALFORMED]: "malformed message",
  [errors.ERR_UNKNOWN_COMMAND]: "unknown command",
  [errors.ERR_FRAGMENT]: "fragments out of order or cut short",
  [errors.ERR_TOO_LONG]: "message too long",
  [errors.ERR_BAD_MAC]: "bad MAC",
  [errors.ERR_REPLAY]: "replayed message",
  [errors.ERR_NOT_AUTHENTICATED]: "not authenticated",
  [errors.ERR_BAD_PROOF]: "bad handshake proof (wrong tag key?)",
  [errors.ERR_NO_CONSENT]: "no consent: the resident has not pressed the tag's button",
  [errors.ERR_NOT_PROVISIONED]: "the tag is not provisioned",
  [errors.ERR_ALREADY_PROVISIONED]: "the tag is already provisioned",
  [errors.ERR_NO_CONFIRMATION]: "no confirmation: press the tag's button first",
  [errors.ERR_BAD_CONFIG]: "setting refused by the tag",
  [errors.ERR_STORAGE]: "the tag could not save (flash full or failing)",
};

/** The meaning of sync error `code`. */
export function syncErrorName(code: number): string {
  return ERROR_TEXT[code] ?? `error ${code}`;
}

/** The tag answered a request with an error code. */
export class TagRefusal extends Error {
  constructor(
    readonly code: number,
    readonly opcode: number,
  ) {
    super(`the tag refused request 0x${opcode.toString(16)}: ${syncErrorName(code)}`);
  }
}

/** The link closed (or timed out) before the answer came. */
export class LinkLost extends Error {}

/** The tag sent something that does not follow the protocol (bad MAC, bad proof, malformed answer). */
export class ProtocolViolation extends Error {}

interface Pending {
  opcode: number;
  resolve: (body: Uint8Array) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** A sync link seen from the gateway. */
export class GatewayConnection {
  private readonly reassemble = newReassembler();
  private session: Session | null = null;
  /** The session the tag opens when it accepts our proof: its answer to PROOF is the first sealed message. */
  private proposed: Session | null = null;
  private pending: Pending | null = null;
  private closed = false;

  constructor(
    private readonly link: TagLink,
    private readonly sha256: Sha256,
    private readonly timeoutMs: number = DEFAULT_RESPONSE_TIMEOUT_MS,
  ) {
    link.onReceive((fragment) => this.received(fragment));
    link.onClose(() => {
      this.closed = true;
      this.settle(new LinkLost("the link closed"));
    });
  }

  /** Whether the handshake has opened the session. */
  get authenticated(): boolean {
    return this.session !== null;
  }

  /**
   * Sends request `opcode` with `body`; resolves with the body of the tag's response. Rejects with
   * TagRefusal when the tag answers with an error, LinkLost when the link ends first, ProtocolViolation
   * when the answer is not a valid one (the link is then closed).
   */
  async request(opcode: number, body: Uint8Array = new Uint8Array(0)): Promise<Uint8Array> {
    if (this.closed) throw new LinkLost("the link is closed");
    if (this.pending) throw new Error("a request is already waiting for its answer");
    const plaintext = message(opcode, body);
    const wire = this.session ? this.session.seal(plaintext) : plaintext;
    const answer = new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => this.abandon(new LinkLost(`no answer to request 0x${opcode.toString(16)} within ${this.timeoutMs} ms`)), this.timeoutMs);
      this.pending = { opcode, resolve, reject, timer };
    });
    try {
      for (const fragment of splitMessage(wire, this.link.mtu)) {
        if (this.closed) break;
        await this.link.send(fragment);
      }
    } catch (error) {
      this.abandon(new LinkLost(`a write to the tag failed: ${error instanceof Error ? error.message : String(error)}`));
    }
    return answer;
  }

  /** Mutual authentication under `tagKey` (firmware/sync-session.ts); afterwards every message is sealed. */
  async handshake(tagKey: Uint8Array): Promise<void> {
    const nonceG = new Uint8Array(randomBytes(NONCE_BYTES));
    const challenge = decodeChallenge(await this.request(OP_HELLO, encodeHello({ mtu: this.link.mtu, nonce: nonceG })));
    if (!challenge) throw this.violation("the tag's challenge is malformed");
    const nonces = concatBytes([nonceG, challenge.nonce]);
    if (!macMatches(handshakeMac(this.sha256, tagKey, nonces, "tag"), challenge.proof)) {
      throw this.violation("the tag's proof does not verify: it is not the tag this key belongs to");
    }
    this.proposed = newSession(this.sha256, handshakeMac(this.sha256, tagKey, nonces, "session"), TO_TAG);
    await this.request(OP_PROOF, handshakeMac(this.sha256, tagKey, nonces, "gateway"));
  }

  /** Closes the link. */
  async close(): Promise<void> {
    if (!this.closed) await this.link.close();
  }

  private received(fragment: Uint8Array): void {
    const got = this.reassemble(fragment);
    if (got === null) return;
    if (typeof got === "number") return void this.violation(`the tag's fragments are broken (${syncErrorName(got)})`);
    const plainError = got.length === ERROR_MESSAGE_BYTES && got[0] === OP_ERROR;
    const session = this.session ?? (plainError ? null : this.proposed);
    let plaintext = got;
    if (session) {
      const opened = session.unseal(got);
      if (typeof opened === "number") return void this.violation(`the tag's answer does not verify (${syncErrorName(opened)})`);
      plaintext = opened;
      this.session = session;
    }
    this.answer(plaintext);
  }

  /** Hands a whole message to the waiting request. */
  private answer(plaintext: Uint8Array): void {
    const pending = this.pending;
    if (!pending) return void this.violation("the tag sent a message nobody asked for");
    if (plaintext[0] === OP_ERROR && plaintext.length === ERROR_MESSAGE_BYTES) return this.settle(new TagRefusal(plaintext[1], plaintext[2]));
    if (plaintext[0] !== (pending.opcode | RESPONSE)) return void this.violation("the tag answered another request");
    this.settle(plaintext.subarray(1));
  }

  /** Resolves (with a body) or rejects (with an error) the waiting request, if any. */
  private settle(outcome: Uint8Array | Error): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    clearTimeout(pending.timer);
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome);
  }

  /** Gives up on the link: the waiting request fails with `error` and the link is closed. */
  private abandon(error: Error): void {
    this.settle(error);
    this.close().catch(() => {});
  }

  /** A protocol violation: fails the waiting request with it and closes the link. */
  private violation(reason: string): ProtocolViolation {
    const error = new ProtocolViolation(reason);
    this.abandon(error);
    return error;
  }
}
