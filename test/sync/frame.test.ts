import { expect } from "chai";
import { ERR_FRAGMENT, ERR_TOO_LONG } from "../../firmware/sync-errors";
import { DEFAULT_MTU, MAX_MESSAGE_BYTES, fragmentRoom, newReassembler, splitMessage } from "../../firmware/sync-frame";

/** A message of `length` bytes that differ from their neighbours. */
function pattern(length: number, seed = 0): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff);
}

/** Feeds fragments one by one; returns every non-null result in order. */
function feed(fragments: Uint8Array[], reassemble = newReassembler()): (Uint8Array | number)[] {
  const results: (Uint8Array | number)[] = [];
  for (const f of fragments) {
    const r = reassemble(f);
    if (r !== null) results.push(r);
  }
  return results;
}

describe("sync fragments (firmware/sync-frame.ts)", () => {
  for (const mtu of [23, 185]) {
    it(`splits a message into fragments of at most MTU − 3 bytes at MTU ${mtu} and puts it back together`, () => {
      const message = pattern(MAX_MESSAGE_BYTES);
      const fragments = splitMessage(message, mtu);
      const room = mtu - 4;
      expect(fragments).to.have.length(Math.ceil(MAX_MESSAGE_BYTES / room));
      fragments.forEach((f, i) => {
        expect(f.length).to.be.at.most(mtu - 3);
        expect(f[0] & 0x3f, "index").to.equal(i);
        expect(f[0] & 0x40, "reserved bit").to.equal(0);
        expect(Boolean(f[0] & 0x80), "last flag").to.equal(i === fragments.length - 1);
      });
      expect(feed(fragments)).to.deep.equal([message]);
    });
  }

  it("fits a 512-byte message in 27 fragments of 20 bytes at MTU 23 (6 index bits suffice)", () => {
    expect(fragmentRoom(DEFAULT_MTU)).to.equal(19);
    const fragments = splitMessage(pattern(512), 23);
    expect(fragments).to.have.length(27);
    expect(fragments.slice(0, 26).every((f) => f.length === 20)).to.equal(true);
  });

  it("round-trips every length from 0 to 512 at several MTUs, through one reassembly", () => {
    const reassemble = newReassembler();
    for (const mtu of [23, 24, 64, 185, 247, 517]) {
      for (let length = 0; length <= MAX_MESSAGE_BYTES; length += 13) {
        const message = pattern(length, mtu);
        expect(feed(splitMessage(message, mtu), reassemble), `mtu ${mtu} length ${length}`).to.deep.equal([message]);
      }
    }
  });

  it("treats an MTU below 23 as 23", () => {
    expect(splitMessage(pattern(40), 10).map((f) => f.length)).to.deep.equal([20, 20, 3]);
  });

  it("reports fragments out of order once, then drops the rest of that message silently", () => {
    const fragments = splitMessage(pattern(100), 23);
    const results = feed([fragments[0], fragments[2], fragments[3], fragments[4], fragments[5]]);
    expect(results).to.deep.equal([ERR_FRAGMENT]);
  });

  it("reports a message cut short by the start of the next one, and takes the one after that whole", () => {
    const first = splitMessage(pattern(60, 1), 23);
    const second = splitMessage(pattern(60, 2), 23);
    const third = splitMessage(pattern(60, 3), 23);
    const results = feed([first[0], first[1], ...second, ...third]);
    expect(results).to.deep.equal([ERR_FRAGMENT, pattern(60, 3)]);
  });

  it("reports a message that starts mid-way (no first fragment)", () => {
    const fragments = splitMessage(pattern(60), 23);
    expect(feed(fragments.slice(1))).to.deep.equal([ERR_FRAGMENT]);
  });

  it("refuses a message over 512 bytes with ERR_TOO_LONG, and accepts the next one", () => {
    const oversized = [...splitMessage(pattern(512), 23)];
    oversized[oversized.length - 1] = Uint8Array.of(oversized.length - 1, ...pattern(19)); // not last: the message goes on
    oversized.push(Uint8Array.of(0x80 | oversized.length, 1, 2, 3));
    const next = pattern(30, 9);
    expect(feed([...oversized, ...splitMessage(next, 23)])).to.deep.equal([ERR_TOO_LONG, next]);
  });

  it("refuses an empty fragment and one with the reserved bit set", () => {
    expect(feed([new Uint8Array(0)])).to.deep.equal([ERR_FRAGMENT]);
    expect(feed([Uint8Array.of(0xc0, 1, 2)])).to.deep.equal([ERR_FRAGMENT]);
  });

  it("never throws on random fragments and returns only messages, error codes or nothing", () => {
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
    const reassemble = newReassembler();
    for (let n = 0; n < 20000; n++) {
      const fragment = Uint8Array.from({ length: Math.floor(next() * 30) }, () => Math.floor(next() * 256));
      const result = reassemble(fragment);
      if (result instanceof Uint8Array) expect(result.length).to.be.at.most(MAX_MESSAGE_BYTES);
      else if (result !== null) expect([ERR_FRAGMENT, ERR_TOO_LONG]).to.include(result);
    }
  });
});
