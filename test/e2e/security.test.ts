/**
 * The sync link's security, through the compiled bundle's real GATT characteristics: no console over
 * Bluetooth in a release build, nothing readable without the tag key, garbage answered with error codes
 * only, and a tag that closes links after repeated failures and then backs off.
 */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { parseAdvert } from "../../firmware/advert";
import { asciiBytes, bytesToHex } from "../../firmware/bytes";
import {
  ERR_BAD_MAC,
  ERR_BAD_PROOF,
  ERR_FRAGMENT,
  ERR_MALFORMED,
  ERR_NO_CONSENT,
  ERR_NOT_AUTHENTICATED,
  ERR_REPLAY,
  ERR_TOO_LONG,
} from "../../firmware/sync-errors";
import { MAX_MESSAGE_BYTES, splitMessage } from "../../firmware/sync-frame";
import {
  OP_END,
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
  decodeKeys,
  encodeConfigPatch,
  encodeCursor,
  encodeSetTime,
  message,
} from "../../firmware/sync-messages";
import { encodeIdentity } from "../../firmware/sync-provision";
import { beaconAdvert, beaconMac, syncSlot } from "../../firmware/sync-token";
import { NUS_RX, NUS_SERVICE, NUS_TX, type ReceivedAdvert } from "../../sim/espruino/nrf";
import { Random } from "../../sim/espruino/random";
import type { HostTag } from "../../sim/espruino/tag";
import { buildFirmware } from "../../tools/build/build";
import { nodeSha256 } from "../../tools/gateway/host-crypto";
import { connectSimTag } from "../../tools/gateway/sim-transport";
import { communeBeaconKey, syncTag } from "../../tools/gateway/sync";
import { Firmware, expectNoErrors, firmwareBundle, savedKeys } from "../firmware/harness";
import { hostRandom } from "../helpers/random";
import { errorCode } from "../helpers/raw-sync-peer";
import {
  Commune,
  RawAnswer,
  RawClient,
  closeCommune,
  handOut,
  meetStrangers,
  newCommune,
  newTag,
  pressButton,
  storageSnapshot,
  syncAtDesk,
} from "./harness";

/** 2025-03-05T09:00:00Z. */
const START_S = Date.UTC(2025, 2, 5, 9, 0) / 1000;
const TAG_ID = "T-SEC";
const HOUR_MS = 3600_000;
/** Frames the fuzzing sends at least. */
const FUZZ_FRAMES = 10_000;
/** The sync characteristic takes values of at most this many bytes (MTU 53 − 3, firmware/platform/sync-link.ts). */
const CHARACTERISTIC_MAX_LEN = 50;
/** Failures after which the tag closes a link (firmware/sync-window.ts). */
const MAX_LINK_FAILURES = 3;
/** The second failed link in a row blocks beacon windows this long (1, then 2 minutes). */
const SECOND_BACKOFF_S = 120;

/** A commune whose one tag has been handed out and has logged an hour of strangers, not yet synced. */
async function tagWithLog(options = {}): Promise<{ commune: Commune; tag: HostTag }> {
  const commune = await newCommune(START_S);
  const tag = await handOut(commune, "sec", TAG_ID, null, options);
  expect(meetStrangers(tag, "sec-strangers", 30, commune.world.now() + HOUR_MS)).to.be.greaterThan(0);
  return { commune, tag };
}

/** The error codes of an answer; fails unless every message in it is an error message. */
function errorCodes(answer: RawAnswer, what: string): number[] {
  return answer.messages.map((m) => {
    const code = errorCode(m);
    expect(code, `${what}: the tag answered ${bytesToHex(m)}`).to.not.equal(null);
    return code!;
  });
}

describe("e2e security through the compiled bundle", function () {
  let commune: Commune | undefined;
  afterEach(() => {
    if (commune) closeCommune(commune);
    commune = undefined;
  });

  it("release build: no Nordic UART service, JavaScript written to its RX characteristic is not run; the debug build runs it", async () => {
    const debugBuild = await buildFirmware({ debug: true });
    if (!debugBuild.compiled) throw new Error(debugBuild.errors.join("\n"));
    /** Opens a new tag's window with the button, connects and types JavaScript into the UART. */
    const typeIntoUart = async (firmware: Firmware) => {
      commune = await newCommune(START_S, firmware);
      const tag = newTag(commune, "uart");
      pressButton(tag);
      const connection = tag.connect();
      if (!connection.ok) throw new Error(connection.reason);
      const echoed: string[] = [];
      connection.link.onNotification((service, characteristic, value) => {
        if (characteristic === NUS_TX) echoed.push(Buffer.from(value).toString("latin1"));
      });
      const write = connection.link.write(NUS_SERVICE, NUS_RX, asciiBytes("zonetagProbe = 6 * 7\n"));
      const result = { write, probe: tag.global("zonetagProbe"), echoed: echoed.join(""), tx: connection.link.read(NUS_SERVICE, NUS_TX) };
      expectNoErrors(tag);
      closeCommune(commune);
      commune = undefined;
      return result;
    };

    const release = await typeIntoUart(await firmwareBundle());
    expect(release).to.deep.equal({ write: { ok: false, error: "no such characteristic" }, probe: undefined, echoed: "", tx: undefined });

    const debug = await typeIntoUart(new Uint8Array(readFileSync(debugBuild.uploadPath)));
    expect(debug.write).to.deep.equal({ ok: true });
    expect(debug.probe).to.equal(42);
    expect(debug.echoed).to.contain("=42");
  });

  it("without authentication every opcode gets an error code only, and READ_KEYS needs the wearer's press in the session", async () => {
    const setUp = await tagWithLog();
    commune = setUp.commune;
    const { tag } = setUp;
    const before = storageSnapshot(tag);
    const attacker = { tagId: "EVIL", tagKey: hostRandom(32), beaconKey: hostRandom(32) };
    /** Bodies a command would take, so that only the missing session refuses it (no well-formed HELLO: that starts a handshake). */
    const wellFormed: Record<number, Uint8Array> = {
      [OP_PROOF]: hostRandom(16),
      [OP_PROVISION]: encodeIdentity(attacker),
      [OP_SET_TIME]: encodeSetTime(commune.now()),
      [OP_READ_LOG]: encodeCursor(0),
      [OP_SET_ALERT]: Uint8Array.of(1),
      [OP_SET_CONFIG]: encodeConfigPatch({ gaen: false }),
      [OP_REPROVISION]: encodeIdentity(attacker),
    };
    let client: RawClient | null = null;
    const codes = new Set<number>();
    let requests = 0;
    for (let opcode = 0; opcode <= 0xff; opcode++) {
      for (const body of [new Uint8Array(0), hostRandom(20), wellFormed[opcode]]) {
        if (!body) continue;
        if (!client || !client.connected) {
          pressButton(tag);
          client = new RawClient(tag);
        }
        const answer = client.plain(opcode, body);
        expect(answer.messages, `opcode 0x${opcode.toString(16)}`).to.have.length(1);
        for (const code of errorCodes(answer, `opcode 0x${opcode.toString(16)}`)) codes.add(code);
        requests++;
      }
    }
    expect(requests).to.be.greaterThan(2 * 256);
    expect([...codes].sort((x, y) => x - y)).to.include.members([ERR_MALFORMED, ERR_NOT_AUTHENTICATED]);
    expect(storageSnapshot(tag), "the tag's Storage (log, cursors, keys, state, identity)").to.deep.equal(before);

    // With the tag key: a session, but the press that opened the window is no consent to read the keys.
    pressButton(tag);
    client = new RawClient(tag);
    expect(client.handshake(commune.store.tagKey(TAG_ID)!).messages.map((m) => m[0])).to.deep.equal([OP_PROOF | RESPONSE]);
    expect(errorCodes(client.sealed(OP_READ_KEYS), "READ_KEYS before the press")).to.deep.equal([ERR_NO_CONSENT]);
    pressButton(tag); // the wearer agrees, in the session
    const keys = client.sealed(OP_READ_KEYS).messages[0]!;
    expect(keys[0]).to.equal(OP_READ_KEYS | RESPONSE);
    expect(decodeKeys(keys.subarray(1))).to.deep.equal(savedKeys(tag));
    client.sealed(OP_END);

    // The gateway engine, asked to read keys without a press in the session, is refused and stores none.
    const refused = await syncAtDesk(commune, tag, TAG_ID, { readKeys: true, consentWaitMs: 0 });
    expect(refused.outcome).to.match(/^refused: .*no consent/);
    expect(refused.keys).to.equal(null);
    expect(commune.store.auditLog().map((e) => e.action)).to.not.include("read-keys");
    expectNoErrors(tag);
  });

  it(`${FUZZ_FRAMES}+ replayed, tampered, truncated, oversized and random frames: error codes only, the tag runs on, its Storage unchanged`, async function () {
    this.timeout(600_000);
    const setUp = await tagWithLog();
    commune = setUp.commune;
    const { tag } = setUp;
    const tagKey = commune.store.tagKey(TAG_ID)!;
    const before = storageSnapshot(tag);
    const random = new Random("fuzz");
    const below = (n: number) => random.uint32() % n;
    const bytes = (count: number) => Uint8Array.from({ length: count }, () => random.uint32() & 0xff);
    /** Genuine commands, sealed and then damaged: none may get through. */
    const commands: [number, Uint8Array][] = [
      [OP_INFO, new Uint8Array(0)],
      [OP_READ_LOG, encodeCursor(1 << 20)],
      [OP_SET_ALERT, Uint8Array.of(1)],
      [OP_NEW_KEYS, new Uint8Array(0)],
      [OP_SET_CONFIG, encodeConfigPatch({ bluezone: false })],
      [OP_SET_TIME, encodeSetTime(START_S - 86400)],
      [OP_READ_KEYS, new Uint8Array(0)],
      [OP_END, new Uint8Array(0)],
      // New keys for the tag: the one command that takes several fragments at MTU 23.
      [OP_REPROVISION, encodeIdentity({ tagId: "EVIL", tagKey: hostRandom(32), beaconKey: hostRandom(32) })],
    ];
    const sealedCommand = (client: RawClient, index = below(commands.length)) => {
      const [opcode, body] = commands[index]!;
      return client.seal(message(opcode, body));
    };
    /** A sealed message of the last session, to replay in the next. */
    let lastSession: Uint8Array | null = null;

    let client: RawClient | null = null;
    /** Whether random fragments may have left the link mid-message, which would change the error a crafted message gets. */
    let dirty = false;
    /**
     * The current link, or a new one opened by the button when the tag closed it; with a session when
     * `session`; a clean one (no message under way) when `clean`.
     */
    const link = (session: boolean, clean = true): RawClient => {
      if (!client || !client.connected || (session && !client.session) || (clean && dirty)) {
        if (client && client.connected) client.disconnect();
        pressButton(tag);
        client = new RawClient(tag);
        dirty = false;
        if (session) expect(client.handshake(tagKey).messages.map((m) => m[0])).to.deep.equal([OP_PROOF | RESPONSE]);
      }
      dirty = dirty || !clean;
      return client;
    };

    const seen = new Map<string, Set<number>>();
    let frames = 0;
    let answers = 0;
    let links = 0;
    /** Writes `fragments` in one kind of attack; every answer must be an error. */
    const attack = (kind: string, client: RawClient, fragments: Uint8Array[]) => {
      const answer = client.write(fragments);
      frames += fragments.length;
      const codes = seen.get(kind) ?? new Set<number>();
      for (const code of errorCodes(answer, kind)) codes.add(code);
      answers += answer.messages.length;
      seen.set(kind, codes);
      return answer;
    };
    const attacks: (() => void)[] = [
      // Random fragments, before and in a session.
      () => attack("random", link(false, false), [bytes(1 + below(CHARACTERISTIC_MAX_LEN))]),
      () => attack("random in session", link(true, false), [bytes(1 + below(CHARACTERISTIC_MAX_LEN))]),
      // Random whole messages in clear: one fragment, first and last.
      () => attack("random message", link(false, false), [Uint8Array.of(0x80, ...bytes(below(19)))]),
      // A sealed command with one bit flipped.
      () => {
        const c = link(true);
        const wire = sealedCommand(c);
        wire[below(wire.length)]! ^= 1 << below(8);
        attack("tampered", c, splitMessage(wire, c.mtu));
      },
      // A sealed command cut short.
      () => {
        const c = link(true);
        const wire = sealedCommand(c);
        attack("truncated", c, splitMessage(wire.subarray(0, below(wire.length)), c.mtu));
      },
      // A sealed command whose last fragment never comes: the next message's first fragment cuts it short.
      () => {
        const c = link(true);
        const fragments = splitMessage(sealedCommand(c, commands.length - 1), c.mtu);
        attack("fragment lost", c, fragments.slice(0, -1).concat(splitMessage(c.seal(message(OP_INFO, new Uint8Array(0))), c.mtu)));
      },
      // A message the tag refused (no consent), sent again; and one of the previous session.
      () => {
        if (client && client.connected) client.disconnect(); // a new session, so that the last one's message is a stranger's
        const c = link(true);
        const wire = c.seal(message(OP_READ_KEYS, new Uint8Array(0)));
        expect(errorCodes(c.send(wire), "READ_KEYS without a press")).to.deep.equal([ERR_NO_CONSENT]);
        if (lastSession) attack("replayed from another session", c, splitMessage(lastSession, c.mtu));
        if (c.connected) attack("replayed", c, splitMessage(wire, c.mtu));
        lastSession = wire;
      },
      // Writes longer than the characteristic, and messages longer than MAX_MESSAGE_BYTES.
      () => {
        const c = link(false, false);
        const answer = attack("oversized write", c, [bytes(CHARACTERISTIC_MAX_LEN + 1 + below(200))]);
        expect(answer.refused).to.deep.equal(["invalid attribute length"]);
      },
      () => attack("oversized message", link(below(2) === 0), splitMessage(bytes(MAX_MESSAGE_BYTES + 1 + below(100)), CHARACTERISTIC_MAX_LEN + 3)),
    ];
    let lastClient: RawClient | null = null;
    while (frames < FUZZ_FRAMES) {
      attacks[below(attacks.length)]!();
      if (client !== lastClient) links++;
      lastClient = client;
    }

    const codes = (kind: string) => [...(seen.get(kind) ?? [])].sort((x, y) => x - y);
    expect(codes("tampered")).to.deep.equal([ERR_BAD_MAC]);
    expect(codes("replayed")).to.deep.equal([ERR_REPLAY]);
    expect(codes("replayed from another session")).to.deep.equal([ERR_BAD_MAC]);
    expect(codes("truncated")).to.include.members([ERR_BAD_MAC, ERR_MALFORMED]);
    expect(codes("fragment lost")).to.include(ERR_FRAGMENT);
    expect(codes("oversized message")).to.deep.equal([ERR_TOO_LONG]);
    expect(codes("oversized write")).to.deep.equal([]);
    expect(codes("random").length + codes("random in session").length + codes("random message").length).to.be.greaterThan(0);
    // A fragment that continues a dropped message gets no answer (one error per broken message), so fewer answers than frames.
    expect(answers, "error answers").to.be.greaterThan(FUZZ_FRAMES / 5);
    expect(links, "links (the tag closes one at its third failure)").to.be.greaterThan(1000);

    // Still running: no uncaught error, the same Storage, and back on air with its rotating IDs once the window ends.
    if (client !== null) (client as RawClient).disconnect();
    expectNoErrors(tag);
    expect(storageSnapshot(tag), "the tag's Storage (log, cursors, keys, state, identity)").to.deep.equal(before);
    const now = commune.world.now();
    commune.world.runUntil(now + 2 * 60_000);
    const onAir = tag.radio.advertisingEvents(now + 60_000, now + 2 * 60_000);
    expect(onAir.length).to.be.greaterThan(100);
    expect(onAir.every((e) => !e.connectable && parseAdvert(e.packet) !== null), "rotating IDs, not connectable").to.equal(true);
    // And its gateway still syncs it: every record arrives.
    const report = await syncAtDesk(commune, tag, TAG_ID);
    expect(report.outcome).to.equal("ok");
    expect(report.stored).to.be.greaterThan(0);
    expectNoErrors(tag);
  });

  it("repeated failures close the link, and beacons open no window until the doubled backoff has passed", async () => {
    const setUp = await tagWithLog({ config: { scanPeriodS: 60, idleScanPeriodS: 60 } });
    commune = setUp.commune;
    const { tag } = setUp;
    const world = commune.world;
    const wrongKey = hostRandom(32);

    // Two links in a row, each failing its handshake MAX_LINK_FAILURES times; the button opens the second despite the first backoff.
    let failedAt = 0;
    for (let failedLink = 0; failedLink < 2; failedLink++) {
      pressButton(tag);
      const client = new RawClient(tag);
      for (let attempt = 1; attempt <= MAX_LINK_FAILURES; attempt++) {
        expect(client.connected, `before attempt ${attempt}`).to.equal(true);
        expect(errorCodes(client.handshake(wrongKey), "a wrong proof")).to.deep.equal([ERR_BAD_PROOF]);
      }
      expect(client.connected, "closed after the third failure").to.equal(false);
      failedAt = world.now() / 1000;
    }

    // A genuine collection-point beacon, heard at each of the tag's scans (one a minute).
    const beaconKey = communeBeaconKey(commune.store);
    const beacon = (t: number): ReceivedAdvert => ({ address: "c0:11:22:33:44:55 random", rssi: -60, data: beaconAdvert(beaconMac(nodeSha256, beaconKey, syncSlot(t))) });
    const heard: { afterS: number; window: boolean }[] = [];
    let wasScanning = false; // the scan that started when the link closed hears it too
    for (;;) {
      const scanning = tag.radio.scanState().scanning;
      if (scanning && !wasScanning && tag.radio.deliverAdvert(beacon(world.now() / 1000))) {
        heard.push({ afterS: world.now() / 1000 - failedAt, window: tag.radio.advertisingState()?.connectable === true });
      }
      wasScanning = scanning;
      if (heard.some((h) => h.window) || world.now() >= (failedAt + 5 * 60) * 1000) break;
      world.runUntil(world.nextTime()!);
    }
    expect(heard.filter((h) => h.afterS < SECOND_BACKOFF_S).length, "beacons heard during the backoff").to.be.at.least(2);
    expect(heard.some((h) => h.afterS >= 60 && h.afterS < SECOND_BACKOFF_S), "one past the first backoff's minute").to.equal(true);
    for (const h of heard) expect(h.window, `window ${h.afterS.toFixed(1)} s after the failures`).to.equal(h.afterS >= SECOND_BACKOFF_S);
    expect(heard[heard.length - 1]!.window, "the beacon opens a window once the backoff is over").to.equal(true);

    // The collection point connects to that window and syncs.
    const report = await syncTag(commune.store, TAG_ID, connectSimTag(tag), { now: commune.now });
    expect(report.outcome).to.equal("ok");
    expectNoErrors(tag);
  });
});
