import { expect } from "chai";
import { FlashStorage, HEADER_BYTES, PowerCutError } from "../../sim/espruino/storage";

const PUCK_STORAGE = { bytes: 40960, pageBytes: 4096 };

function ff(count: number): string {
  return "\xff".repeat(count);
}

describe("FlashStorage (Espruino Storage on nRF52 flash)", () => {
  it("pre-sizes a file with 0xFF and fills it by offset writes (espruino.com Storage.write example)", () => {
    const s = new FlashStorage(PUCK_STORAGE);
    expect(s.write("a", "Hello", 0, 14)).to.equal(true);
    expect(s.read("a")).to.equal("Hello" + ff(9));
    s.write("a", " ", 5);
    s.write("a", "World!!!", 6);
    expect(s.read("a")).to.equal("Hello World!!!");
    expect(s.read("a", 6, 5)).to.equal("World");
    expect(s.read("a", 12)).to.equal("!!");
    // Writing at offset 0 without a size makes a new file of the data's length.
    s.write("a", " ", 0);
    expect(s.read("a")).to.equal(" ");
    expect(s.rewriteViolations).to.equal(0);
  });

  it("refuses to program bytes that are already written, counting the violation", () => {
    const s = new FlashStorage(PUCK_STORAGE);
    s.write("log", new Uint8Array([1, 2, 3, 4]), 0, 16);
    expect(() => s.write("log", new Uint8Array([9]), 2)).to.throw(Error, "File already written with different data");
    expect(() => s.write("log", new Uint8Array([3]), 2)).to.throw(Error, "File already written with different data");
    expect(s.rewriteViolations).to.equal(2);
    expect(Array.from(new Uint8Array(s.readArrayBuffer("log")!)).slice(0, 5)).to.deep.equal([1, 2, 3, 4, 0xff]);
    // Writing into the still-erased tail is fine.
    expect(s.write("log", new Uint8Array([5, 6]), 4)).to.equal(true);
    expect(s.rewriteViolations).to.equal(2);
  });

  it("reuses an erased pre-sized file on a sized write at offset 0, and replaces a written one", () => {
    const s = new FlashStorage(PUCK_STORAGE);
    s.write("day", "\xff\xff", 0, 64); // creates the file; its bytes are all still erased
    expect(s.getStats().fileCount).to.equal(1);
    s.write("day", "AB", 0, 64); // same size, still erased: written in place
    expect(s.getStats().trashCount).to.equal(0);
    s.write("day", "CD", 0, 64); // not erased any more: old file becomes trash, new one created
    expect(s.getStats().trashCount).to.equal(1);
    expect(s.read("day", 0, 2)).to.equal("CD");
  });

  it("programs flash by AND: erasing a file only zeroes the first 4 bytes of its name", () => {
    const s = new FlashStorage(PUCK_STORAGE);
    s.write("abcdefg", "xyz");
    s.erase("abcdefg");
    const raw = s.rawBytes();
    expect(Array.from(raw.subarray(0, 4))).to.deep.equal([3, 0, 0, 0]); // size word untouched
    expect(Array.from(raw.subarray(4, 8))).to.deep.equal([0, 0, 0, 0]); // "abcd" → 0
    expect(String.fromCharCode(...raw.subarray(8, 11))).to.equal("efg"); // rest of the name still there
    expect(s.read("abcdefg")).to.equal(undefined);
    expect(s.getStats()).to.include({ fileCount: 0, trashCount: 1, trashBytes: HEADER_BYTES + 4 });
  });

  it("rejects data past the end of a file and offset writes to a missing file", () => {
    const s = new FlashStorage(PUCK_STORAGE);
    s.write("f", "abcd", 0, 8);
    expect(() => s.write("f", "12345", 4)).to.throw(Error, "Too much data for file size");
    expect(() => s.write("nofile", "x", 3)).to.throw(Error, "Unable to find or create file");
    expect(() => s.write("empty", "")).to.throw(Error, "Can't create zero length file");
  });

  it("truncates names longer than 28 characters, as jsfNameFromVar does", () => {
    const s = new FlashStorage(PUCK_STORAGE);
    const name28 = "n".repeat(28);
    s.write(name28 + "-one", "first");
    expect(s.truncatedNames).to.equal(1);
    expect(s.list()).to.deep.equal([name28]);
    expect(s.read(name28)).to.equal("first");
    // A second long name with the same first 28 characters is the same file.
    s.write(name28 + "-two", "second");
    expect(s.read(name28 + "-one")).to.equal("second");
    expect(s.list()).to.have.length(1);
  });

  it("accounts capacity (32-byte header, 4-byte padding) and fails with Espruino's error when full", () => {
    const s = new FlashStorage(PUCK_STORAGE);
    expect(s.getFree()).to.equal(40960);
    s.write("a", "12345"); // 32 + 8
    expect(s.getFree()).to.equal(40960 - 40);
    let n = 0;
    while (s.getFree() >= HEADER_BYTES + 1000) s.write("fill" + n++, "x", 0, 1000);
    const free = s.getFree();
    expect(() => s.write("big", "x", 0, free)).to.throw(Error, "Unable to find or create file");
    expect(s.write("fits", "x", 0, free - HEADER_BYTES)).to.equal(true);
    expect(s.getFree()).to.equal(0);
    expect(s.getStats()).to.include({ totalBytes: 40960, freeBytes: 0, trashCount: 0 });
  });

  it("leaves trash on replace until compaction, and compacts automatically when that makes room", () => {
    const s = new FlashStorage(PUCK_STORAGE);
    const lines: string[] = [];
    s.log = (line) => lines.push(line);
    s.write("keep", "important");
    for (let i = 0; i < 50; i++) s.writeJSON("state", { counter: i, pad: "p".repeat(1000) });
    const before = s.getStats();
    expect(before.fileCount).to.equal(2);
    expect(before.trashCount).to.be.greaterThan(0);
    expect(lines).to.include("Compacting...");
    expect(s.readJSON("state")).to.deep.equal({ counter: 49, pad: "p".repeat(1000) });
    s.compact();
    const after = s.getStats();
    expect(after).to.include({ fileCount: 2, trashCount: 0, trashBytes: 0 });
    expect(after.freeBytes).to.equal(40960 - after.fileBytes);
    expect(s.read("keep")).to.equal("important");
    expect(s.pageErases).to.be.greaterThan(0);
  });

  it("does not rewrite a file whose whole content is unchanged", () => {
    const s = new FlashStorage(PUCK_STORAGE);
    s.write("cfg", "same");
    s.write("cfg", "same");
    expect(s.getStats().trashCount).to.equal(0);
  });

  it("writes Espruino's compact JSON dialect and reads it back liberally", () => {
    const s = new FlashStorage(PUCK_STORAGE);
    s.writeJSON("j", { a: 1, "b-c": "x\n\u0001", arr: [1, 2.5, null], f: () => 0, u: undefined, bytes: new Uint8Array([7, 8]), 12: true });
    expect(s.read("j")).to.equal('{12:true,a:1,"b-c":"x\\n\\1",arr:[1,2.5,null],bytes:[7,8]}');
    expect(s.readJSON("j")).to.deep.equal({ 12: true, a: 1, "b-c": "x\n\u0001", arr: [1, 2.5, null], bytes: [7, 8] });
    s.write("bad", "{oops");
    expect(() => s.readJSON("bad")).to.throw(SyntaxError);
    expect(s.readJSON("bad", true)).to.equal(undefined);
    expect(s.readJSON("missing")).to.equal(undefined);
  });

  it("simulates a power cut in the middle of a write: only the first bytes land, earlier data survives", () => {
    const s = new FlashStorage(PUCK_STORAGE);
    s.write("log", new Uint8Array([1, 1, 1, 1]), 0, 12);
    s.cutPowerDuringNextWrite(2);
    expect(() => s.write("log", new Uint8Array([2, 2, 2, 2]), 4)).to.throw(PowerCutError);
    expect(() => s.write("other", "x")).to.throw(PowerCutError); // nothing more reaches flash until reboot
    s.mount();
    expect(Array.from(new Uint8Array(s.readArrayBuffer("log")!))).to.deep.equal([1, 1, 1, 1, 2, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(s.list()).to.deep.equal(["log"]);
  });

  it("erases everything at boot if a cut left a half-written header (Storage is corrupt)", () => {
    const s = new FlashStorage(PUCK_STORAGE);
    const lines: string[] = [];
    s.log = (line) => lines.push(line);
    s.write("state", "v1");
    s.cutPowerDuringNextWrite(4 + 2); // trash mark of the old file, then half of the new header's size word
    expect(() => s.write("state", "v2")).to.throw(PowerCutError);
    s.mount();
    expect(lines).to.deep.equal(["Storage is corrupt."]);
    expect(s.list()).to.deep.equal([]);
    expect(s.getFree()).to.equal(40960);
  });
});
