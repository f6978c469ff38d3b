import { expect } from "chai";
import { SYNC_SERVICE_UUID, SYNC_TO_GATEWAY_UUID, SYNC_TO_TAG_UUID } from "../../firmware/sync-token";
import { Scheduler } from "../../sim/espruino/scheduler";
import { HostTag } from "../../sim/espruino/tag";
import { connectSimTag } from "../../tools/gateway/sim-transport";

/**
 * A tag program that serves the sync service and notifies every write back with its bytes reversed, and
 * disconnects when it receives [0xdd].
 */
const ECHO_PROGRAM = `
  var services = {};
  services["${SYNC_SERVICE_UUID}"] = {};
  services["${SYNC_SERVICE_UUID}"]["${SYNC_TO_TAG_UUID}"] = { writable: true, maxLen: 50, onWrite: function (evt) {
    var bytes = new Uint8Array(evt.data);
    if (bytes.length === 1 && bytes[0] === 0xdd) return NRF.disconnect();
    var back = new Uint8Array(bytes.length);
    for (var i = 0; i < bytes.length; i++) back[i] = bytes[bytes.length - 1 - i];
    var update = {};
    update["${SYNC_SERVICE_UUID}"] = {};
    update["${SYNC_SERVICE_UUID}"]["${SYNC_TO_GATEWAY_UUID}"] = { value: back, notify: true };
    NRF.updateServices(update);
  } };
  services["${SYNC_SERVICE_UUID}"]["${SYNC_TO_GATEWAY_UUID}"] = { notify: true, readable: true, maxLen: 50, value: [0] };
  NRF.setServices(services, { uart: false });
  NRF.setAdvertising({}, { connectable: true });
`;

function echoTag(): HostTag {
  const tag = new HostTag({ scheduler: new Scheduler(), seed: "sync-transport" });
  tag.flash(ECHO_PROGRAM);
  tag.boot();
  return tag;
}

describe("simulator transport (tools/gateway/sim-transport.ts)", () => {
  it("writes fragments to the tag's sync characteristic and hands back what it notifies", async () => {
    const tag = echoTag();
    const link = connectSimTag(tag, 23);
    expect(link.mtu).to.equal(23);
    const received: number[][] = [];
    link.onReceive((fragment) => received.push([...fragment]));
    await link.send(Uint8Array.of(1, 2, 3));
    await link.send(Uint8Array.of(9, 8));
    expect(received).to.deep.equal([
      [3, 2, 1],
      [8, 9],
    ]);
    expect(tag.errors).to.deep.equal([]);
  });

  it("negotiates up to the board's MTU", () => {
    expect(connectSimTag(echoTag(), 247).mtu).to.equal(53);
  });

  it("reports the end of the connection once, whichever side ends it", async () => {
    const tag = echoTag();
    const byTag = connectSimTag(tag);
    let closes = 0;
    byTag.onClose(() => closes++);
    await byTag.send(Uint8Array.of(0xdd));
    expect(closes).to.equal(1);
    await byTag.close();
    expect(closes).to.equal(1);
    await byTag.send(Uint8Array.of(1)); // after the end: nothing, no throw

    const byGateway = connectSimTag(tag);
    let ended = 0;
    byGateway.onClose(() => ended++);
    await byGateway.close();
    expect(ended).to.equal(1);
  });

  it("fails clearly when the tag is not advertising a connectable window", () => {
    const tag = new HostTag({ scheduler: new Scheduler(), seed: "closed" });
    tag.flash(`NRF.setAdvertising({}, { connectable: false });`);
    tag.boot();
    expect(() => connectSimTag(tag)).to.throw(/not connectable/);
  });
});
