import { expect } from "chai";
import { seededRandom as random } from "../helpers/random";
import { bytesToHex } from "../../firmware/bytes";
import { LOG_CHUNK_RECORDS } from "../../firmware/sync-commands";
import {
  ERR_ALREADY_PROVISIONED,
  ERR_BAD_CONFIG,
  ERR_BAD_MAC,
  ERR_BAD_PROOF,
  ERR_FRAGMENT,
  ERR_MALFORMED,
  ERR_NO_CONFIRMATION,
  ERR_NO_CONSENT,
  ERR_NOT_AUTHENTICATED,
  ERR_NOT_PROVISIONED,
  ERR_REPLAY,
  ERR_TOO_LONG,
  ERR_UNKNOWN_COMMAND,
} from "../../firmware/sync-errors";
import { MAX_MESSAGE_BYTES, splitMessage } from "../../firmware/sync-frame";
import {
  OP_END,
  OP_HELLO,
  OP_INFO,
  OP_NEW_KEYS,
  OP_PROOF,
  OP_PROVISION,
  OP_READ_KEYS,
  OP_READ_LOG,
  OP_REPROVISION,
  OP_SET_ALERT,
  OP_SET_CONFIG,
  OP_SET_TIME,
  RESPONSE,
  decodeClockRecord,
  decodeInfo,
  decodeKeys,
  decodeLogChunk,
  encodeConfigPatch,
  encodeCursor,
  encodeHello,
  encodeSetTime,
  message,
} from "../../firmware/sync-messages";
import { CONFIRM_S, TagIdentity, encodeIdentity } from "../../firmware/sync-provision";
import { mayOpenWindow } from "../../firmware/sync-window";
import { hostRandom } from "../helpers/random";
import { errorCode } from "../helpers/raw-sync-peer";
import { RawGateway, TestTag, TEST_DAY_START } from "./harness";

function identity(tagId = "T0042"): TagIdentity {
  return { tagId, tagKey: hostRandom(32), beaconKey: hostRandom(32) };
}

/** The body of the response to `opcode`; fails on anything else. */
function responseBody(reply: { messages: Uint8Array[] }, opcode: number): Uint8Array {
  expect(reply.messages, "one answer").to.have.length(1);
  const m = reply.messages[0];
  expect(m[0], `answer to 0x${opcode.toString(16)} (error ${errorCode(m)})`).to.equal(opcode | RESPONSE);
  return m.subarray(1);
}

/** Everything a tag holds that a refused message must leave as it was. */
function snapshot(tag: TestTag): string {
  return JSON.stringify({
    log: tag.log.readFrom(0, 1e9).map((r) => [r.cursor, r.origin, bytesToHex(r.record)]),
    status: tag.log.status(),
    identity: tag.identity && [tag.identity.tagId, bytesToHex(tag.identity.tagKey)],
    clock: tag.clock,
    time: tag.time,
    alert: tag.alert,
    keys: tag.keys,
    config: tag.config,
  });
}

/** A provisioned tag with a session open through a raw gateway. */
function openSession(mtu = 23) {
  const tag = new TestTag(identity());
  tag.logEncounters(200, TEST_DAY_START, 300);
  const gateway = new RawGateway(tag, mtu);
  responseBody(gateway.handshake((tag.identity as TagIdentity).tagKey), OP_PROOF);
  return { tag, gateway };
}

describe("sync tag handler (firmware/sync-commands.ts)", () => {
  describe("handshake", () => {
    it("opens a session with the right key; the tag proves itself first and seals from then on", () => {
      const { gateway } = openSession();
      const info = decodeInfo(responseBody(gateway.sealed(OP_INFO), OP_INFO));
      expect(info && info.logRecords).to.equal(200);
    });

    it("refuses a gateway proof made with another key, in clear, and counts it", () => {
      const tag = new TestTag(identity());
      const gateway = new RawGateway(tag);
      const reply = gateway.handshake(hostRandom(32));
      expect(reply.messages.map(errorCode)).to.deep.equal([ERR_BAD_PROOF]);
      expect(tag.sync.inSession()).to.equal(false);
      // It counted as one failure: the link closes at the third, two failures later.
      const second = gateway.plain(OP_INFO);
      expect([second.messages.map(errorCode), second.close]).to.deep.equal([[ERR_NOT_AUTHENTICATED], false]);
      expect(gateway.plain(OP_INFO).close).to.equal(true);
    });

    it("takes one proof per challenge: a second PROOF, even the right one, is refused", () => {
      const tag = new TestTag(identity());
      const gateway = new RawGateway(tag);
      gateway.handshake(hostRandom(32));
      const replay = gateway.plain(OP_PROOF, new Uint8Array(16));
      expect(replay.messages.map(errorCode)).to.deep.equal([ERR_NOT_AUTHENTICATED]);
    });

    it("answers an unprovisioned tag's HELLO with ERR_NOT_PROVISIONED and commands before the session with ERR_NOT_AUTHENTICATED", () => {
      const fresh = new RawGateway(new TestTag());
      expect(fresh.plain(OP_HELLO, encodeHello({ mtu: 23, nonce: hostRandom(16) })).messages.map(errorCode)).to.deep.equal([ERR_NOT_PROVISIONED]);
      const tag = new TestTag(identity());
      const early = new RawGateway(tag);
      for (const op of [OP_INFO, OP_READ_LOG, OP_READ_KEYS, OP_REPROVISION]) {
        tag.sync.linkOpened(23);
        expect(early.plain(op, encodeCursor(0)).messages.map(errorCode)).to.deep.equal([ERR_NOT_AUTHENTICATED]);
      }
    });

    it("uses the gateway's MTU up to its own maximum for what it sends", () => {
      const tag = new TestTag(identity());
      tag.sync.linkOpened(185);
      const hello = splitMessage(message(OP_HELLO, encodeHello({ mtu: 247, nonce: hostRandom(16) })), 247);
      const out = tag.sync.received(hello[0]);
      expect(out.send).to.have.length(1); // CHALLENGE: 33 bytes in one fragment
      // A log chunk (about 480 bytes) goes in fragments of 185 − 3 bytes: the tag's maximum, not the gateway's 247.
      const logging = new TestTag(identity());
      logging.logEncounters(200, TEST_DAY_START, 300);
      const gateway = new RawGateway(logging, 247, 185);
      responseBody(gateway.handshake((logging.identity as TagIdentity).tagKey), OP_PROOF);
      const chunk = logging.sync.received(splitMessage(gateway.seal(message(OP_READ_LOG, encodeCursor(0))), 247)[0]);
      expect(chunk.send.length).to.be.greaterThan(1);
      expect(Math.max(...chunk.send.map((f) => f.length))).to.equal(185 - 3);
    });
  });

  describe("failures", () => {
    it("refuses a replayed sealed request with ERR_REPLAY and leaves the tag as it was", () => {
      const { tag, gateway } = openSession();
      const setAlert = gateway.seal(message(OP_SET_ALERT, Uint8Array.of(1)));
      responseBody(gateway.send(setAlert), OP_SET_ALERT);
      gateway.sealed(OP_SET_ALERT, Uint8Array.of(0));
      expect(tag.alert).to.equal(false);
      const before = snapshot(tag);
      expect(gateway.send(setAlert).messages.map(errorCode)).to.deep.equal([ERR_REPLAY]);
      expect(snapshot(tag)).to.equal(before);
    });

    it("refuses a tampered MAC with ERR_BAD_MAC, sealed, and closes the link at the third failure", () => {
      const { tag, gateway } = openSession();
      const before = snapshot(tag);
      for (let attempt = 1; attempt <= 3; attempt++) {
        const wire = gateway.seal(message(OP_READ_LOG, encodeCursor(150)));
        wire[wire.length - 1] ^= 0x01;
        const reply = gateway.send(wire);
        expect(reply.messages.map(errorCode)).to.deep.equal([ERR_BAD_MAC]);
        expect(reply.close).to.equal(attempt === 3);
      }
      expect(tag.holdsLink()).to.equal(false);
      expect(snapshot(tag)).to.equal(before);
      // The window policy now refuses beacon windows for a minute.
      expect(mayOpenWindow(tag.window, tag.time + 30, false)).to.equal(false);
      expect(mayOpenWindow(tag.window, tag.time + 60, false)).to.equal(true);
    });

    it("answers truncated and oversized frames with an error code", () => {
      const { gateway } = openSession();
      const setConfig = splitMessage(gateway.seal(message(OP_SET_CONFIG, encodeConfigPatch({ scanPeriodS: 90, txPower: 0, gaen: true }))), 23);
      expect(setConfig.length).to.equal(2);
      const truncated = gateway.fragments([setConfig[0], ...splitMessage(gateway.seal(message(OP_INFO, new Uint8Array(0))), 23)]);
      expect(truncated.messages.map(errorCode)).to.deep.equal([ERR_FRAGMENT]);
      const big = splitMessage(new Uint8Array(MAX_MESSAGE_BYTES), 23);
      big[big.length - 1] = Uint8Array.of(big.length - 1, ...new Uint8Array(19));
      big.push(Uint8Array.of(0x80 | big.length));
      expect(gateway.fragments(big).messages.map(errorCode)).to.deep.equal([ERR_TOO_LONG]);
    });

    it("does not count errors in authenticated requests: a malformed body or unknown command leaves the link open", () => {
      const { tag, gateway } = openSession();
      for (let i = 0; i < 5; i++) {
        expect(gateway.sealed(OP_SET_ALERT, Uint8Array.of(7)).messages.map(errorCode)).to.deep.equal([ERR_MALFORMED]);
        expect(gateway.sealed(0x7e).messages.map(errorCode)).to.deep.equal([ERR_UNKNOWN_COMMAND]);
      }
      // None counted: it still takes three failures (bad MACs here) to close the link.
      expect(tag.sync.inSession()).to.equal(true);
      for (let attempt = 1; attempt <= 3; attempt++) {
        const wire = gateway.seal(message(OP_INFO, new Uint8Array(0)));
        wire[wire.length - 1] ^= 0x01;
        expect(gateway.send(wire).close).to.equal(attempt === 3);
      }
    });
  });

  describe("commands", () => {
    it("reads the log in chunks from a cursor; reading from a cursor acknowledges what lies below it", () => {
      const { tag, gateway } = openSession();
      const all = tag.log.readFrom(0, 1e9);
      const seen: string[] = [];
      let cursor = 0;
      for (;;) {
        const chunk = decodeLogChunk(responseBody(gateway.sealed(OP_READ_LOG, encodeCursor(cursor)), OP_READ_LOG));
        if (!chunk) throw new Error("malformed chunk");
        expect(tag.log.status().acknowledged).to.equal(cursor);
        if (!chunk.records.length) break;
        expect(chunk.records.length).to.be.at.most(LOG_CHUNK_RECORDS);
        chunk.records.forEach((r) => seen.push(r.origin + ":" + bytesToHex(r.record)));
        cursor = chunk.next;
      }
      expect(seen).to.deep.equal(all.map((r) => r.origin + ":" + bytesToHex(r.record)));
      expect(tag.log.status().unacknowledged).to.equal(0);
    });

    it("sets the time and reports the clock record (offset and drift)", () => {
      const { tag, gateway } = openSession();
      const gatewayTime = tag.time - 2.5;
      const clock = decodeClockRecord(responseBody(gateway.sealed(OP_SET_TIME, encodeSetTime(gatewayTime)), OP_SET_TIME));
      expect(clock).to.deep.equal({ setAt: Math.floor(gatewayTime), offsetS: 2.5, driftPpm: 0 });
      expect(tag.time).to.equal(gatewayTime);
      expect(gateway.sealed(OP_SET_TIME, encodeSetTime(1000)).messages.map(errorCode)).to.deep.equal([ERR_MALFORMED]);
    });

    it("applies settings through applyConfig and refuses out-of-range ones", () => {
      const { tag, gateway } = openSession();
      responseBody(gateway.sealed(OP_SET_CONFIG, encodeConfigPatch({ scanPeriodS: 120, bluezone: false, txPower: -8 })), OP_SET_CONFIG);
      expect(tag.config).to.include({ scanPeriodS: 120, bluezone: false, txPower: -8 });
      expect(gateway.sealed(OP_SET_CONFIG, encodeConfigPatch({ scanPeriodS: 5 })).messages.map(errorCode)).to.deep.equal([ERR_BAD_CONFIG]);
      expect(gateway.sealed(OP_SET_CONFIG, encodeConfigPatch({ gaen: false })).messages.map(errorCode)).to.deep.equal([ERR_BAD_CONFIG]);
      expect(gateway.sealed(OP_SET_CONFIG, Uint8Array.of(99, 0, 0)).messages.map(errorCode)).to.deep.equal([ERR_MALFORMED]);
      expect(tag.config.scanPeriodS).to.equal(120);
    });

    it("ends the session on END: answers, then closes", () => {
      const { tag, gateway } = openSession();
      const reply = gateway.sealed(OP_END);
      responseBody(reply, OP_END);
      expect(reply.close).to.equal(true);
      expect(tag.holdsLink()).to.equal(false);
    });

    it("starts new keys on NEW_KEYS", () => {
      const { tag, gateway } = openSession();
      const old = JSON.stringify(tag.keys);
      responseBody(gateway.sealed(OP_NEW_KEYS), OP_NEW_KEYS);
      expect(JSON.stringify(tag.keys)).to.not.equal(old);
    });
  });

  describe("key release", () => {
    it("refuses READ_KEYS without a button press during the session", () => {
      const { tag, gateway } = openSession();
      expect(gateway.sealed(OP_READ_KEYS).messages.map(errorCode)).to.deep.equal([ERR_NO_CONSENT]);
      expect(tag.changes).to.deep.equal([]);
    });

    it("refuses it when the press came before the session (the press that opened the window) or over 60 s ago", () => {
      const tag = new TestTag(identity());
      tag.sync.buttonPressed();
      tag.time += 5;
      const gateway = new RawGateway(tag);
      gateway.handshake((tag.identity as TagIdentity).tagKey);
      expect(gateway.sealed(OP_READ_KEYS).messages.map(errorCode)).to.deep.equal([ERR_NO_CONSENT]);
      tag.sync.buttonPressed();
      tag.time += CONFIRM_S + 1;
      expect(gateway.sealed(OP_READ_KEYS).messages.map(errorCode)).to.deep.equal([ERR_NO_CONSENT]);
    });

    it("releases the TEKs and the Bluezone chain after a press during the session, encrypted on the link", () => {
      const { tag, gateway } = openSession();
      tag.sync.buttonPressed();
      tag.time += 10;
      const wire = gateway.seal(message(OP_READ_KEYS, new Uint8Array(0)));
      const out = tag.sync.received(splitMessage(wire, 23)[0]);
      const onAir = out.send.map((f) => bytesToHex(f.subarray(1))).join("");
      expect(onAir).to.not.contain(tag.keys.teks[0][1]);
      expect(onAir).to.not.contain(tag.keys.bzKey.substring(0, 32));
      // The same request through the raw gateway (a fresh session) decodes to the tag's keys.
      const again = openSession();
      again.tag.sync.buttonPressed();
      expect(decodeKeys(responseBody(again.gateway.sealed(OP_READ_KEYS), OP_READ_KEYS))).to.deep.equal(again.tag.keys);
    });

    it("keeps consent valid across a SET_TIME that moves the clock", () => {
      const { tag, gateway } = openSession();
      tag.sync.buttonPressed();
      gateway.sealed(OP_SET_TIME, encodeSetTime(tag.time + 3600));
      expect(decodeKeys(responseBody(gateway.sealed(OP_READ_KEYS), OP_READ_KEYS))).to.deep.equal(tag.keys);
    });
  });

  describe("provisioning", () => {
    it("accepts PROVISION on an unprovisioned tag only within 60 s of a button press", () => {
      const tag = new TestTag();
      const wanted = identity("T0007");
      const gateway = new RawGateway(tag);
      expect(gateway.plain(OP_PROVISION, encodeIdentity(wanted)).messages.map(errorCode)).to.deep.equal([ERR_NO_CONFIRMATION]);
      tag.sync.buttonPressed();
      tag.time += CONFIRM_S + 1;
      expect(gateway.plain(OP_PROVISION, encodeIdentity(wanted)).messages.map(errorCode)).to.deep.equal([ERR_NO_CONFIRMATION]);
      expect(tag.identity).to.equal(null);
      tag.sync.buttonPressed();
      tag.time += 20;
      responseBody(gateway.plain(OP_PROVISION, encodeIdentity(wanted)), OP_PROVISION);
      expect(tag.identity && tag.identity.tagId).to.equal("T0007");
      expect(bytesToHex((tag.identity as TagIdentity).tagKey)).to.equal(bytesToHex(wanted.tagKey));
      // The new key works on the same link.
      responseBody(gateway.handshake(wanted.tagKey), OP_PROOF);
    });

    it("refuses a plain PROVISION on a provisioned tag, even with a press", () => {
      const tag = new TestTag(identity("T0001"));
      tag.sync.buttonPressed();
      const gateway = new RawGateway(tag);
      expect(gateway.plain(OP_PROVISION, encodeIdentity(identity("T0666"))).messages.map(errorCode)).to.deep.equal([ERR_ALREADY_PROVISIONED]);
      expect(tag.identity && tag.identity.tagId).to.equal("T0001");
    });

    it("re-keys inside an authenticated session (REPROVISION), and refuses malformed identities", () => {
      const { tag, gateway } = openSession();
      const next = identity("T0042");
      expect(gateway.sealed(OP_REPROVISION, encodeIdentity(next).subarray(1)).messages.map(errorCode)).to.deep.equal([ERR_MALFORMED]);
      responseBody(gateway.sealed(OP_REPROVISION, encodeIdentity(next)), OP_REPROVISION);
      expect(bytesToHex((tag.identity as TagIdentity).tagKey)).to.equal(bytesToHex(next.tagKey));
      const bad = encodeIdentity({ tagId: "T 42", tagKey: next.tagKey, beaconKey: next.beaconKey });
      expect(gateway.sealed(OP_REPROVISION, bad).messages.map(errorCode)).to.deep.equal([ERR_MALFORMED]);
    });
  });

  describe("fuzz", () => {

    it("answers 10 000 random and mutated frames with an error code or nothing, never throws, and changes nothing", () => {
      const rand = random(20260101);
      const byte = () => Math.floor(rand() * 256);
      const tag = new TestTag(identity());
      tag.logEncounters(150, TEST_DAY_START, 300);
      const key = (tag.identity as TagIdentity).tagKey;
      const before = snapshot(tag);
      let gateway = new RawGateway(tag);
      let linkOpen = true;
      let inSession = false;
      let answered = 0;
      const codes = new Set<number | null>();
      const genuine = [
        message(OP_SET_ALERT, Uint8Array.of(1)),
        message(OP_READ_LOG, encodeCursor(100)),
        message(OP_SET_CONFIG, encodeConfigPatch({ scanPeriodS: 90 })),
        message(OP_NEW_KEYS, new Uint8Array(0)),
        message(OP_PROVISION, encodeIdentity(identity("X"))),
        message(OP_REPROVISION, encodeIdentity(identity("X"))),
      ];
      for (let n = 0; n < 10000; n++) {
        if (!linkOpen || (!inSession && rand() < 0.02)) {
          // A new connection; now and then a genuine gateway's, which opens a session.
          gateway = new RawGateway(tag);
          inSession = rand() < 0.5;
          if (inSession) gateway.handshake(key);
        }
        const kind = rand();
        let fragments: Uint8Array[];
        if (kind < 0.4) {
          // Pure noise.
          fragments = [Uint8Array.from({ length: Math.floor(rand() * 24) }, byte)];
        } else if (kind < 0.7) {
          // A single-fragment message with a random opcode and body.
          fragments = [Uint8Array.from({ length: 1 + Math.floor(rand() * 20) }, byte)];
          fragments[0][0] = 0x80;
        } else {
          // A genuine request (sealed when a session is open), mutated: a flipped bit, a cut, or replayed seq.
          const plain = genuine[Math.floor(rand() * genuine.length)];
          const wire = inSession ? gateway.seal(plain) : plain.slice();
          const mutation = rand();
          if (mutation < 0.5) wire[Math.floor(rand() * wire.length)] ^= 1 << Math.floor(rand() * 8);
          else if (mutation < 0.8) wire[0] ^= 0xff;
          const pieces = splitMessage(mutation >= 0.8 ? wire.subarray(0, Math.floor(rand() * wire.length)) : wire, 23);
          // All its fragments, or one of them alone.
          fragments = rand() < 0.5 ? pieces : [pieces[Math.floor(rand() * pieces.length)]];
        }
        const reply = gateway.fragments(fragments);
        linkOpen = !reply.close;
        for (const m of reply.messages) {
          answered++;
          codes.add(errorCode(m));
          // A random HELLO is a genuine one: its challenge is the only non-error answer allowed.
          const challenge = m[0] === (OP_HELLO | RESPONSE) && m.length === 33;
          expect(errorCode(m) !== null || challenge, `answer ${bytesToHex(m)} to ${fragments.map(bytesToHex)}`).to.equal(true);
        }
      }
      expect(answered).to.be.greaterThan(5000);
      // Every layer was reached: fragments, handshake state, sealing, provisioning rules.
      for (const code of [ERR_FRAGMENT, ERR_NOT_AUTHENTICATED, ERR_MALFORMED, ERR_BAD_MAC, ERR_ALREADY_PROVISIONED]) expect(codes).to.include(code);
      expect(tag.changes).to.deep.equal([]);
      expect(snapshot(tag)).to.equal(before);
    });
  });
});
