import { createCipheriv, createHash } from "node:crypto";
import { expect } from "chai";
import { Scheduler } from "../../sim/espruino/scheduler";
import { HostTag } from "../../sim/espruino/tag";

function booted(board: "PUCKJS" | "MDBT42Q"): HostTag {
  const tag = new HostTag({ scheduler: new Scheduler(), board, seed: 1 });
  tag.flash("var crypto = require('crypto'); function hex(buf) { var a = new Uint8Array(buf), s = ''; for (var i = 0; i < a.length; i++) s += (a[i] + 256).toString(16).substr(1); return s; }");
  tag.boot();
  return tag;
}

const KEY = "000102030405060708090a0b0c0d0e0f";
const DATA = "00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210";

function nodeCipher(algorithm: string, key: string, iv: Buffer | null, data: string): string {
  const cipher = createCipheriv(algorithm, Buffer.from(key, "hex"), iv);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.from(data, "hex")), cipher.final()]).toString("hex");
}

function bytesExpr(hex: string): string {
  return `new Uint8Array([${Array.from(Buffer.from(hex, "hex")).join(",")}])`;
}

describe("require('crypto') on the boards", () => {
  it("SHA256 matches Node for strings (character codes) and bytes, and returns an ArrayBuffer of the program's realm", () => {
    const tag = booted("MDBT42Q");
    expect(tag.evaluate("hex(crypto.SHA256('abc'))")).to.equal(createHash("sha256").update("abc").digest("hex"));
    expect(tag.evaluate("hex(crypto.SHA256(new Uint8Array([0, 255, 128])))")).to.equal(createHash("sha256").update(Buffer.from([0, 255, 128])).digest("hex"));
    const long = "x".repeat(1000);
    expect(tag.evaluate(`hex(crypto.SHA256('${long}'))`)).to.equal(createHash("sha256").update(long).digest("hex"));
    expect(tag.evaluate("crypto.SHA256('abc') instanceof ArrayBuffer")).to.equal(true);
  });

  it("has no AES on MDBT42Q (the firmware must fall back to JS AES)", () => {
    expect(booted("MDBT42Q").evaluate("crypto.AES")).to.equal(undefined);
  });

  it("AES-128-ECB on Puck.js equals Node's, block by block, and decrypts back", () => {
    const tag = booted("PUCKJS");
    const out = tag.evaluate(`hex(crypto.AES.encrypt(${bytesExpr(DATA)}, ${bytesExpr(KEY)}, { mode: "ECB" }))`);
    expect(out).to.equal(nodeCipher("aes-128-ecb", KEY, null, DATA));
    const back = tag.evaluate(`hex(crypto.AES.decrypt(crypto.AES.encrypt(${bytesExpr(DATA)}, ${bytesExpr(KEY)}, { mode: "ECB" }), ${bytesExpr(KEY)}, { mode: "ECB" }))`);
    expect(back).to.equal(DATA);
  });

  it("keeps Espruino's quirks: CTR ignores iv (zero counter), CBC needs whole blocks, unknown modes throw", () => {
    const tag = booted("PUCKJS");
    const iv = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
    const ctr = tag.evaluate(`hex(crypto.AES.encrypt(${bytesExpr(DATA.slice(0, 8))}, ${bytesExpr(KEY)}, { mode: "CTR", iv: ${bytesExpr(iv)} }))`);
    expect(ctr).to.equal(nodeCipher("aes-128-ctr", KEY, Buffer.alloc(16), DATA.slice(0, 8)));
    expect(ctr).to.not.equal(nodeCipher("aes-128-ctr", KEY, Buffer.from(iv, "hex"), DATA.slice(0, 8)));
    const cbc = tag.evaluate(`hex(crypto.AES.encrypt(${bytesExpr(DATA)}, ${bytesExpr(KEY)}, { iv: ${bytesExpr(iv)} }))`);
    expect(cbc).to.equal(nodeCipher("aes-128-cbc", KEY, Buffer.from(iv, "hex"), DATA));
    expect(tag.evaluate(`crypto.AES.encrypt(new Uint8Array(5), ${bytesExpr(KEY)})`)).to.equal(undefined);
    expect(tag.outputText()).to.equal("ERROR: Invalid input length");
    expect(() => tag.evaluate(`crypto.AES.encrypt(new Uint8Array(16), ${bytesExpr(KEY)}, { mode: "XTS" })`)).to.throw('Unknown Crypto mode "XTS"');
  });
});
