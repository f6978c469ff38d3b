import { expect } from "chai";
import { stringBytes } from "../../sim/espruino/bytes";
import { Scheduler } from "../../sim/espruino/scheduler";
import { BOOT_CODE_FILE, HostTag } from "../../sim/espruino/tag";
import { pretokenise } from "../../tools/build/pretokenise";

/** A program with timers, closures, strings, a regex and Storage: what a boot must bring back to life. */
const PROGRAM = `var count=0,names=["if","in","typeof"];function tick(){count++;if(count%2===0&&!/x/.test("y"))print("tick",count,names[count%3],typeof count)}setInterval(tick,1000);E.on("init",function(){print("init",require("Storage").read(".bootcde").length)})`;

/** A booted tag flashed with `program`, after `ms` of virtual time. */
function tagRunning(program: string | Uint8Array, ms = 0): HostTag {
  const scheduler = new Scheduler();
  const tag = new HostTag({ scheduler, seed: "tokenised" });
  tag.flash(program);
  tag.boot();
  scheduler.advance(ms);
  return tag;
}

describe("HostTag boots pretokenised code", () => {
  it("stores the bytes as .bootcde as they are and runs them as the plain program runs", () => {
    const bytes = pretokenise(PROGRAM);
    const plain = tagRunning(PROGRAM, 4500);
    const tokenised = tagRunning(bytes, 4500);
    expect(stringBytes(tokenised.storage.read(BOOT_CODE_FILE)!)).to.deep.equal(bytes);
    expect(tokenised.outputText()).to.equal(plain.outputText().replace(`init ${PROGRAM.length}`, `init ${bytes.length}`));
    expect(tokenised.outputText()).to.contain("tick 4 in number");
    expect(tokenised.errors).to.deep.equal([]);
    expect(tokenised.memory()).to.deep.equal(plain.memory());
  });

  it("runs plain code with bytes ≥ 0x80 inside its strings unchanged", () => {
    const tag = tagRunning(`print("caf\u00e9".length, "\u00e9\u00b9".charCodeAt(1))`);
    expect(tag.outputText()).to.equal("4 185");
  });

  it("reports a byte that is no token as an uncaught SyntaxError, runs nothing of that code and carries on", () => {
    const tag = tagRunning(Uint8Array.of(...stringBytes("print(1);a="), 0x80));
    expect(tag.errors.map((error) => error.text)).to.deep.equal(["Uncaught SyntaxError: detokenise: byte 0x80 at 11 is no Espruino token"]);
    expect(tag.state).to.equal("running");
    expect(tag.evaluate("1+1")).to.equal(2);
  });
});
