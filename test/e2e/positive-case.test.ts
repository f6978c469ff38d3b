/**
 * Issue 4 end to end, with the compiled firmware in two tags and the real gateway library over SQLite:
 * hand-out, a 30-minute meeting at about 1 m, syncs, a positive resident's keys read with consent,
 * published and renewed, the published files imported back as diagnosis keys, the other resident listed
 * to call with their contact person, and that resident's tag showing the exposure alert after its next sync.
 */
import { expect } from "chai";
import { createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { utcDayNumber } from "../../firmware/bluezone";
import { readKeyFile } from "../../tools/gateway/key-files";
import { matchExposures } from "../../tools/gateway/matching";
import { publishResidentKeys } from "../../tools/gateway/publish";
import { SIGNING_PUBLIC_KEY_FILE } from "../../tools/gateway/signing-keys";
import { HEARTBEAT_MS, STATE_FILE, expectNoErrors, recordLights, runPair, savedKeys } from "../firmware/harness";
import { Commune, closeCommune, consentInSession, handOut, newCommune, syncAtDesk } from "./harness";

/** 2025-03-03T08:00:00Z, a Monday morning at the commune hall. */
const START_S = Date.UTC(2025, 2, 3, 8, 0) / 1000;
/** Two wrists about 1 m apart: 0 dBm sent, about 40 dB of free-space loss and 20 dB of body loss. */
const RSSI_1M = -60;
const MINUTE_MS = 60_000;
/** The heartbeat's alert pattern (firmware/feedback.ts): three blue blinks of 150 ms, 150 ms apart. */
const ALERT_BLINKS = 3;
const ALERT_BLINK_MS = 150;

describe("e2e: a positive resident's contact is told (compiled firmware, real gateway)", function () {
  let commune: Commune;
  afterEach(() => closeCommune(commune));

  it("meets, syncs, publishes the positive resident's keys with consent, lists the contact to call and alerts their tag", async () => {
    commune = await newCommune(START_S);
    const { store, world } = commune;
    const lan = store.addResident({ name: "Nguyễn Thị Lan", household: "Thôn 3", contactName: "Nguyễn Văn Hùng", contactPhone: "0912 345 678" }, "staff");
    const binh = store.addResident({ name: "Trần Văn Bình", household: "Thôn 3", contactName: "Trần Thị Mai", contactPhone: "0987 111 222" }, "staff");
    const a = await handOut(commune, "lan", "T-LAN", lan);
    const b = await handOut(commune, "binh", "T-BINH", binh);
    expect(store.tag("T-LAN")).to.include({ residentName: "Nguyễn Thị Lan" });

    // Half an hour side by side at the market, then apart long enough for the open encounters to close.
    const met = world.now();
    const deliveries = runPair(a, b, RSSI_1M, met + 30 * MINUTE_MS);
    expect(deliveries.filter((d) => d.taken).length, "adverts taken").to.be.greaterThan(10);
    world.runUntil(met + 50 * MINUTE_MS);

    for (const [tag, tagId] of [[a, "T-LAN"], [b, "T-BINH"]] as const) {
      const report = await syncAtDesk(commune, tag, tagId);
      expect(report.outcome, tagId).to.equal("ok");
      expect(report.stored, `${tagId} records stored`).to.be.greaterThan(0);
      expect(report.alert).to.equal("none");
    }

    // Lan tests positive. At the desk she presses her tag's button during the sync to let the gateway read her keys.
    const read = await syncAtDesk(commune, a, "T-LAN", { readKeys: true, consentWaitMs: 0 }, consentInSession(a));
    expect(read.outcome).to.equal("ok");
    const lanKeys = savedKeys(a);
    expect(read.keys).to.deep.equal(lanKeys);
    const publication = await publishResidentKeys(store, { residentId: lan, outDir: join(commune.dir, "published"), actor: "staff", at: commune.now() });
    if ("error" in publication) throw new Error(publication.error);
    expect(publication).to.deep.include({ teks: 1, bluezoneEntries: 1, tags: ["T-LAN"] });
    expect(store.resident(lan)!.positiveAt).to.equal(commune.now());

    // Her keys are out: the tag starts new ones, which the published files say nothing about.
    const renewed = await syncAtDesk(commune, a, "T-LAN", { startNewKeys: true });
    expect(renewed.outcome).to.equal("ok");
    const newKeys = savedKeys(a);
    const today = utcDayNumber(commune.now());
    expect(newKeys.teks.find(([day]) => day === today)![1]).to.not.equal(lanKeys.teks.find(([day]) => day === today)![1]);
    expect(newKeys.bzKey).to.not.equal(lanKeys.bzKey);

    // The files come back from the key servers as diagnosis keys; the GAEN export verifies with the gateway's key.
    const publicKey = createPublicKey(readFileSync(join(commune.dir, SIGNING_PUBLIC_KEY_FILE)));
    const imports = [];
    for (const file of [publication.gaenFile, publication.bluezoneFile]) {
      const parsed = await readKeyFile(file, publicKey);
      if ("error" in parsed) throw new Error(parsed.error);
      imports.push(parsed);
      store.importDiagnosisKeys(parsed, "staff", commune.now());
    }
    expect(imports.map((i) => [i.format, i.signature])).to.deep.equal([
      ["gaen-export", "verified"],
      ["bluezone-f0", "none"],
    ]);

    const match = matchExposures(store, { actor: "staff", at: commune.now() });
    expect(match.alertedTags).to.deep.equal(["T-BINH"]);
    expect(match.residentsToCall).to.have.length(1);
    const call = match.residentsToCall[0]!;
    expect(call).to.deep.include({ tagId: "T-BINH", name: "Trần Văn Bình", contactName: "Trần Thị Mai", contactPhone: "0987 111 222" });
    expect(call.days.map((d) => d.day)).to.deep.equal([today]);
    expect(call.days[0]!.weightedMinutes).to.be.at.least(15);

    // Bình's tag learns of it at its next sync and shows the alert at every heartbeat.
    const told = await syncAtDesk(commune, b, "T-BINH");
    expect(told.outcome).to.equal("ok");
    expect(told.alert).to.equal("exposed");
    expect(store.tag("T-BINH")).to.include({ alert: "exposed", alertOnTag: "exposed" });
    expect(b.storage.readJSON(STATE_FILE)).to.include({ alert: true });
    expect(a.storage.readJSON(STATE_FILE)).to.include({ alert: false });

    const from = world.now() + 1000; // after the button pattern of the sync's press
    world.runUntil(from);
    const pulses = recordLights(b, from + 3 * HEARTBEAT_MS);
    expect(pulses.filter((p) => p.output !== "LED3"), "only blue").to.deep.equal([]);
    expect(pulses.length, "three heartbeats of three blinks").to.equal(3 * ALERT_BLINKS);
    for (let beat = 0; beat < 3; beat++) {
      const blinks = pulses.slice(beat * ALERT_BLINKS, (beat + 1) * ALERT_BLINKS);
      for (const [i, blink] of blinks.entries()) {
        expect(blink.ms, "blink length").to.be.closeTo(ALERT_BLINK_MS, 10);
        if (i > 0) expect(blink.start - blinks[i - 1]!.start, "blink spacing").to.be.closeTo(2 * ALERT_BLINK_MS, 10);
      }
      if (beat > 0) expect(blinks[0]!.start - pulses[(beat - 1) * ALERT_BLINKS]!.start, "once a minute").to.be.closeTo(HEARTBEAT_MS, 1000);
    }
    // Lan's tag, not exposed, blinks green.
    expect(recordLights(a, world.now() + HEARTBEAT_MS).map((p) => p.output)).to.deep.equal(["LED2"]);
    expectNoErrors(a, b);
  });
});
