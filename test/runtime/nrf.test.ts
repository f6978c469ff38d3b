import { expect } from "chai";
import { NUS_RX, NUS_SERVICE, NUS_TX } from "../../sim/espruino/nrf";
import { Scheduler } from "../../sim/espruino/scheduler";
import { HostTag } from "../../sim/espruino/tag";

function tagWith(source: string, seed = "radio", startMs = 0): { tag: HostTag; scheduler: Scheduler } {
  const scheduler = new Scheduler();
  scheduler.runUntil(startMs);
  const tag = new HostTag({ scheduler, seed });
  tag.flash(source);
  tag.boot();
  return { tag, scheduler };
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** GAEN advert: flags, 16-bit UUID list FD6F, service data FD6F + 20 bytes. */
const GAEN = Uint8Array.from([0x02, 0x01, 0x1a, 0x03, 0x03, 0x6f, 0xfd, 0x17, 0x16, 0x6f, 0xfd, ...new Array(20).fill(0xab)]);
/** Bluezone advert: flags, UUID 4E56, manufacturer 0x22B5 + 12-byte ID. */
const BLUEZONE = Uint8Array.from([0x02, 0x01, 0x06, 0x03, 0x03, 0x56, 0x4e, 0x0f, 0xff, 0xb5, 0x22, ...new Array(12).fill(0x11)]);
const OTHER = Uint8Array.from([0x02, 0x01, 0x06, 0x05, 0x09, 0x41, 0x42, 0x43, 0x44]);

describe("NRF advertising", () => {
  it("advertises Espruino's default packet every 375 ms (+ advDelay) from boot", () => {
    const { tag } = tagWith("// nothing");
    const events = tag.radio.advertisingEvents(0, 60_000);
    const name = `Puck.js ${String(tag.evaluate("NRF.getAddress()")).replace(/:/g, "").slice(8)}`;
    expect(hex(events[0]!.packet)).to.equal("020106" + "03ff9005" + "0d09" + Buffer.from(name).toString("hex"));
    expect(events[0]!.connectable).to.equal(true);
    expect(events.length).to.be.within(157, 159); // 60 s / 380 ms mean period
    for (let i = 1; i < events.length; i++) expect(events[i]!.time - events[i - 1]!.time).to.be.within(370, 390);
    expect(events[0]!.address).to.equal(tag.evaluate("NRF.getAddress()") + " random");
    const onAir = tag.radio.advertisingAt(events[3]!.time + 0.5);
    expect(onAir && onAir.time).to.equal(events[3]!.time);
    expect(tag.radio.advertisingAt(events[3]!.time + 100)).to.equal(null);
  });

  it("tells the event on air from its first instant, also at Unix-millisecond world times", () => {
    for (const startMs of [0, Date.UTC(2026, 2, 2)]) {
      const { tag } = tagWith("// nothing", "radio", startMs);
      const events = tag.radio.advertisingEvents(startMs, startMs + 5_000);
      for (const e of events.slice(0, 5)) {
        expect(tag.radio.advertisingAt(e.time), `${startMs} + ${e.time - startMs} ms`).to.deep.equal(e);
        expect(tag.radio.advertisingAt(e.time + 1)).to.deep.equal(e);
        expect(tag.radio.advertisingAt(e.time + 2)).to.equal(null);
      }
    }
  });

  it("uses an array of packets in turn, one per advertising event", () => {
    const { tag } = tagWith(`
      NRF.setAdvertising([new Uint8Array([2, 1, 6, 3, 0xff, 1, 0]), [2, 1, 6, 3, 0xff, 2, 0], { 0x180f: [95] }],
        { interval: 250, connectable: false, scannable: false, showName: false, manufacturer: false });
    `);
    const events = tag.radio.advertisingEvents(0, 10_000);
    expect(events.slice(0, 4).map((e) => hex(e.packet))).to.deep.equal(["02010603ff0100", "02010603ff0200", "020106" + "04160f185f", "02010603ff0100"]);
    expect(events.every((e) => !e.connectable && !e.scannable)).to.equal(true);
    expect(events.length).to.be.within(38, 40);
    expect(() => tag.evaluate("NRF.setAdvertising(new Uint8Array(32))")).to.throw("ERR 0x9 (INVALID_LENGTH)");
  });

  it("builds object-form packets like Espruino: service data, UUID lists, manufacturer data, then the name", () => {
    const { tag } = tagWith("// nothing");
    const packet = (expr: string): string => hex(new Uint8Array(tag.evaluate(expr) as ArrayBuffer));
    expect(packet(`NRF.getAdvertisingData({ 0x180F: [95], "fd6f": undefined }, { showName: false })`)).to.equal("020106" + "04160f185f" + "03036ffd");
    expect(packet(`NRF.getAdvertisingData({}, { showName: false, manufacturer: 0x22B5, manufacturerData: [1, 2], discoverable: false })`)).to.equal("020105" + "05ffb5220102");
    expect(packet(`NRF.getAdvertisingData({}, { name: "ZoneTag-with-a-very-long-name-that-does-not-fit" })`)).to.equal("020106" + "1b08" + Buffer.from("ZoneTag-with-a-very-long-n").toString("hex")); // cut to 31 bytes, "short name"
    expect(() => tag.evaluate(`NRF.getAdvertisingData({ 0x180F: new Uint8Array(28) })`)).to.throw("Advertising data too long when adding Service");
  });

  it("setAddress restarts the stack: advertising comes back under the new address, the scan with default parameters", () => {
    const { tag, scheduler } = tagWith(`
      NRF.setTxPower(4);
      NRF.setAdvertising([2, 1, 6], { connectable: false, interval: 1000 });
      NRF.setScan(function (d) { print("seen", d.rssi); }, { interval: 1000, window: 100 });
    `);
    expect(tag.radio.scanState()).to.include({ scanning: true, intervalMs: 1000, windowMs: 100 });
    expect(tag.radio.advertisingState()).to.include({ txPower: 4, intervalMs: 1000 });
    scheduler.advance(5000);
    tag.evaluate(`NRF.setAddress("c1:22:33:44:55:66 random")`);
    expect(tag.evaluate("NRF.getAddress(true)")).to.equal("c1:22:33:44:55:66");
    expect(tag.radio.advertisingState()).to.include({ address: "c1:22:33:44:55:66 random", txPower: 0, intervalMs: 1000, connectable: false });
    // The scan callback survives, but interval/window are back to 100/100 ms (continuous)...
    expect(tag.radio.scanState()).to.include({ scanning: true, intervalMs: 100, windowMs: 100, dutyCycle: 1 });
    // ...and setScan with options cannot change them while it scans.
    tag.evaluate(`NRF.setScan(function (d) { print("again"); }, { interval: 1000, window: 100 })`);
    expect(tag.radio.scanState()).to.include({ intervalMs: 100, windowMs: 100 });
    tag.evaluate(`NRF.setScan(); NRF.setScan(function (d) { print("fresh"); }, { interval: 1000, window: 100 })`);
    expect(tag.radio.scanState()).to.include({ intervalMs: 1000, windowMs: 100 });
  });

  it("refuses a random static address without its top bits set, keeping the factory address", () => {
    const { tag } = tagWith(`NRF.setAddress("01:22:33:44:55:66 random");`);
    expect(tag.outputText()).to.equal("sd_ble_gap_addr_set failed: 0x3202");
    expect(tag.radio.advertisingState()!.address).to.equal(tag.evaluate("NRF.getAddress()") + " random");
    expect(() => tag.evaluate(`NRF.setAddress("nonsense")`)).to.throw("Expecting mac address of the form aa:bb:cc:dd:ee:ff");
  });
});

describe("NRF scanning", () => {
  it("parses adverts into Espruino's device object and applies the scan filters", () => {
    const { tag } = tagWith(`
      NRF.setScan(function (d) {
        print(d.id, d.rssi, JSON.stringify(d.services), d.serviceData ? new Uint8Array(d.serviceData.fd6f).length : "-", d.manufacturer, d.data instanceof ArrayBuffer);
      }, { filters: [{ services: ["fd6f"] }, { manufacturerData: { 0x22B5: {} } }] });
    `);
    expect(tag.radio.deliverAdvert({ address: "aa:bb:cc:dd:ee:01 random", rssi: -60, data: GAEN })).to.equal(true);
    expect(tag.radio.deliverAdvert({ address: "aa:bb:cc:dd:ee:02 random", rssi: -70, data: BLUEZONE })).to.equal(true);
    expect(tag.radio.deliverAdvert({ address: "aa:bb:cc:dd:ee:03 random", rssi: -50, data: OTHER })).to.equal(false);
    expect(tag.output.map((l) => l.text)).to.deep.equal([
      'aa:bb:cc:dd:ee:01 random -60 ["fd6f"] 20 undefined true',
      'aa:bb:cc:dd:ee:02 random -70 ["4e56"] - 8885 true',
    ]);
  });

  it("delivers only inside scan windows, and nothing once the scan stops", () => {
    const { tag, scheduler } = tagWith(`NRF.setScan(function (d) { print("got"); }, { interval: 1000, window: 100 });`);
    scheduler.runUntil(50);
    expect(tag.radio.listeningAt(50)).to.equal(true);
    expect(tag.radio.deliverAdvert({ address: "aa:bb:cc:dd:ee:01 random", rssi: -60, data: GAEN })).to.equal(true);
    scheduler.runUntil(500);
    expect(tag.radio.deliverAdvert({ address: "aa:bb:cc:dd:ee:01 random", rssi: -60, data: GAEN })).to.equal(false);
    scheduler.runUntil(1050);
    expect(tag.radio.deliverAdvert({ address: "aa:bb:cc:dd:ee:01 random", rssi: -60, data: GAEN })).to.equal(true);
    tag.evaluate("NRF.setScan()");
    expect(tag.radio.deliverAdvert({ address: "aa:bb:cc:dd:ee:01 random", rssi: -60, data: GAEN })).to.equal(false);
    expect(tag.outputText()).to.equal("got\ngot");
  });

  it("findDevices merges packets per address, then stops scanning and calls back", () => {
    const { tag, scheduler } = tagWith(`NRF.findDevices(function (list) { print(list.length, list[0].id, list[0].rssi, JSON.stringify(list[0].services)); }, 1000);`);
    tag.radio.deliverAdvert({ address: "aa:bb:cc:dd:ee:01 random", rssi: -60, data: GAEN });
    tag.radio.deliverAdvert({ address: "aa:bb:cc:dd:ee:01 random", rssi: -65, data: BLUEZONE });
    tag.radio.deliverAdvert({ address: "aa:bb:cc:dd:ee:02 random", rssi: -80, data: OTHER });
    scheduler.advance(1000);
    expect(tag.outputText()).to.equal('2 aa:bb:cc:dd:ee:01 random -65 ["fd6f","4e56"]');
    expect(tag.radio.scanState().scanning).to.equal(false);
  });
});

describe("NRF connections and the Nordic UART REPL", () => {
  it("evaluates REPL input written to the UART when the UART service and the Bluetooth console are on (debug build)", () => {
    const { tag } = tagWith(`NRF.on("connect", function (addr) { print("connected", addr); });`);
    const result = tag.radio.connect({ mtu: 23 });
    expect(result.ok).to.equal(true);
    if (!result.ok) return;
    const received: string[] = [];
    result.link.onNotification((service, characteristic, value) => {
      if (service === NUS_SERVICE && characteristic === NUS_TX) received.push(Buffer.from(value).toString("latin1"));
    });
    expect(result.link.write(NUS_SERVICE, NUS_RX, Buffer.from("1+2\n"))).to.deep.equal({ ok: true });
    expect(result.link.write(NUS_SERVICE, NUS_RX, Buffer.from('print("hi"); require("Storage").list().length\n'))).to.deep.equal({ ok: true });
    expect(received.join("")).to.equal("=3\r\n>" + "hi\r\n" + "=1\r\n>");
    expect(tag.outputText()).to.match(/^connected c0:ff:ee:00:00:01 public\nhi$/);
  });

  it("is unreachable in a release build: UART service removed, console detached", () => {
    const { tag } = tagWith(`NRF.setServices({}, { uart: false }); E.setConsole(null, { force: true });`);
    const result = tag.radio.connect();
    expect(result.ok).to.equal(true);
    if (!result.ok) return;
    expect(result.link.write(NUS_SERVICE, NUS_RX, Buffer.from("E.reboot()\n"))).to.deep.equal({ ok: false, error: "no such characteristic" });
    expect(tag.resets).to.have.length(1);
  });

  it("refuses connections while not advertising connectable", () => {
    const { tag } = tagWith(`NRF.setAdvertising({}, { connectable: false });`);
    expect(tag.radio.connect()).to.deep.equal({ ok: false, reason: "not connectable" });
    tag.evaluate("NRF.sleep()");
    expect(tag.radio.connect()).to.deep.equal({ ok: false, reason: "not connectable" });
  });

  it("serves GATT characteristics: writes reach onWrite, notifications reach the central, disconnects are reported", () => {
    const { tag } = tagWith(`
      NRF.setServices({ "abcd": { "abce": { writable: true, maxLen: 20, onWrite: function (evt) { print("wrote", new Uint8Array(evt.data).join(",")); } },
                                  "abcf": { value: [1, 2, 3], readable: true, notify: true, maxLen: 8 } } }, { uart: false });
      NRF.on("disconnect", function (reason) { print("disconnect", reason); });
    `);
    const result = tag.radio.connect({ mtu: 100 });
    if (!result.ok) throw new Error("no connection");
    expect(result.link.mtu).to.equal(53);
    const notes: string[] = [];
    result.link.onNotification((s, c, v) => notes.push(`${s}/${c}:${hex(v)}`));
    expect(result.link.write("abcd", "abce", Uint8Array.of(7, 8))).to.deep.equal({ ok: true });
    expect(result.link.write("abcd", "abcf", Uint8Array.of(1))).to.deep.equal({ ok: false, error: "write not permitted" });
    expect(hex(result.link.read("abcd", "abcf")!)).to.equal("010203");
    tag.evaluate(`NRF.updateServices({ "abcd": { "abcf": { value: [9, 9], notify: true } } })`);
    expect(notes).to.deep.equal(["abcd/abcf:0909"]);
    expect(tag.radio.advertisingState()).to.equal(null); // no advertising while connected
    result.link.disconnect();
    expect(tag.outputText()).to.equal("wrote 7,8\ndisconnect 19");
    expect(tag.radio.advertisingState()).to.not.equal(null);
  });

  it("defers a stack restart until the central disconnects", () => {
    const { tag } = tagWith("// nothing");
    const result = tag.radio.connect();
    if (!result.ok) throw new Error("no connection");
    tag.evaluate(`NRF.setAddress("c2:00:00:00:00:01 random")`);
    expect(() => tag.evaluate(`NRF.updateServices({})`)).to.throw("Can't update services until BLE restart");
    result.link.disconnect();
    expect(tag.radio.advertisingState()!.address).to.equal("c2:00:00:00:00:01 random");
  });
});
