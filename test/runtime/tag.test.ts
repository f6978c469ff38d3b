import { expect } from "chai";
import { Scheduler } from "../../sim/espruino/scheduler";
import { HostTag, type HostTagOptions } from "../../sim/espruino/tag";

/** A booted tag running `source`. */
function tagWith(source: string, options: Partial<HostTagOptions> = {}): { tag: HostTag; scheduler: Scheduler } {
  const scheduler = new Scheduler();
  const tag = new HostTag({ scheduler, seed: "test", ...options });
  tag.flash(source);
  tag.boot();
  return { tag, scheduler };
}

function lines(tag: HostTag): string[] {
  return tag.output.map((line) => line.text);
}

describe("HostTag timers on the virtual clock", () => {
  it("runs timeouts in time order and same-time timers in creation order", () => {
    const { tag, scheduler } = tagWith(`
      setTimeout(function () { print("c", getTime()); }, 300);
      setTimeout(function () { print("a", getTime()); }, 100);
      setTimeout(function () { print("b1"); }, 200);
      setTimeout(function () { print("b2"); }, 200);
    `);
    scheduler.advance(250);
    expect(lines(tag)).to.deep.equal(["a 0.1", "b1", "b2"]);
    scheduler.advance(100);
    expect(lines(tag)).to.deep.equal(["a 0.1", "b1", "b2", "c 0.3"]);
  });

  it("repeats intervals from their due time and clears them by id (either clear function)", () => {
    const { tag, scheduler } = tagWith(`
      var n = 0;
      var id = setInterval(function (x) { n++; print(x + n, getTime()); if (n === 3) clearTimeout(id); }, 1000, "tick");
    `);
    scheduler.advance(10_000);
    expect(lines(tag)).to.deep.equal(["tick1 1", "tick2 2", "tick3 3"]);
  });

  it("gives ids as last id + 1 (reused once the list empties), clears all with no argument, throws on undefined", () => {
    const { tag, scheduler } = tagWith(`
      var a = setTimeout(function () {}, 10), b = setTimeout(function () {}, 20);
      print(a, b);
      clearTimeout(b);
      print(setTimeout(function () { print("never"); }, 30));
      clearTimeout();
      print(setTimeout(function () { print("fired"); }, 5));
      try { clearTimeout(undefined); } catch (e) { print(e.message); }
    `);
    scheduler.advance(100);
    expect(lines(tag)).to.deep.equal(["1 2", "2", "1", "clearTimeout(undefined) not allowed. Use clearTimeout() instead", "fired"]);
  });

  it("clamps intervals below 0.1 ms (or missing) to 0.1 ms and refuses more than 100 years", () => {
    const { tag, scheduler } = tagWith(`setTimeout(function () { print("soon", getTime() * 1000); });`);
    scheduler.advance(1);
    expect(tag.outputText()).to.equal("soon 0.1");
    expect(() => tag.evaluate("setTimeout(function () {}, 4e13)")).to.throw("Interval is too long (>100 years)");
    expect(() => tag.evaluate("setTimeout(42, 10)")).to.throw("Function or String not supplied!");
  });

  it("follows the tag's drifting crystal", () => {
    const { tag, scheduler } = tagWith(`setTimeout(function () { print("done"); }, 1000000);`, { driftPpm: 100 });
    scheduler.runUntil(999_899);
    expect(lines(tag)).to.deep.equal([]);
    scheduler.runUntil(999_901);
    expect(lines(tag)).to.deep.equal(["done"]);
  });
});

describe("HostTag boot model and resets", () => {
  it("keeps Storage and loses RAM across a reboot, then fires E.on('init') and onInit", () => {
    const { tag, scheduler } = tagWith(`
      var boots = (require("Storage").readJSON("boots", true) || 0) + 1;
      require("Storage").writeJSON("boots", boots);
      var ram = typeof ram === "undefined" ? "fresh" : "kept";
      E.on("init", function () { print("init", boots, ram); });
      function onInit() { print("onInit"); }
      setInterval(function () { print("tick"); }, 1000);
    `);
    scheduler.advance(1500);
    tag.reboot();
    scheduler.advance(500);
    expect(lines(tag)).to.deep.equal(["init 1 fresh", "onInit", "tick", "init 2 fresh", "onInit"]);
    expect(tag.resets.map((r) => r.reason)).to.deep.equal(["power-on", "reboot"]);
  });

  it("E.reboot() stops the callback at once and restarts from Storage", () => {
    const { tag, scheduler } = tagWith(`
      print("boot");
      if (!require("Storage").read("done")) setTimeout(function () { require("Storage").write("done", "1"); E.reboot(); print("after"); }, 100);
    `);
    scheduler.advance(1000);
    expect(lines(tag)).to.deep.equal(["boot", "boot"]);
    expect(tag.errors).to.deep.equal([]);
  });

  it("keeps the clock across a soft reset but loses it with a power cycle", () => {
    const { tag, scheduler } = tagWith(`setInterval(function () {}, 60000);`);
    tag.evaluate("setTime(1700000000)");
    scheduler.advance(120_000);
    tag.reboot();
    expect(tag.evaluate("getTime()")).to.equal(1_700_000_120);
    tag.powerCycle();
    expect(tag.evaluate("getTime()")).to.equal(0);
    expect(tag.evaluate("new Date().getTime()")).to.equal(0);
  });

  it("logs uncaught exceptions and keeps running", () => {
    const { tag, scheduler } = tagWith(`
      setTimeout(function () { undefinedFunction(); }, 10);
      setTimeout(function () { print("still alive"); }, 20);
    `);
    scheduler.advance(50);
    expect(lines(tag)).to.deep.equal(["Uncaught ReferenceError: undefinedFunction is not defined", "still alive"]);
    expect(tag.errors).to.have.length(1);
    expect(tag.errors[0]!.time).to.equal(10);
  });

  it("lacks what Espruino lacks and is deterministic (seeded hwRand and Math.random, clock-based Date)", () => {
    const source = `print(typeof Map, typeof Symbol, typeof Array.from, typeof Math.trunc, typeof Number.isInteger, E.hwRand(), Math.random());`;
    const one = tagWith(source).tag;
    const two = tagWith(source).tag;
    expect(lines(one)[0]!.startsWith("undefined undefined undefined undefined undefined ")).to.equal(true);
    expect(lines(one)).to.deep.equal(lines(two));
    expect(lines(tagWith(source, { seed: "other" }).tag)).to.not.deep.equal(lines(one));
  });
});

describe("HostTag watchdog", () => {
  it("resets a hung tag after the timeout (automatic kicking)", () => {
    const { tag, scheduler } = tagWith(`
      E.enableWatchdog(10);
      print("boot", getTime());
      setInterval(function () {}, 1000);
    `);
    scheduler.advance(60_000);
    expect(tag.resets).to.have.length(1); // kicked from the idle loop: never resets
    tag.evaluate("setTime(1000)");
    scheduler.advance(500);
    tag.hang();
    expect(tag.state).to.equal("hung");
    scheduler.advance(9_000);
    expect(tag.state).to.equal("hung");
    scheduler.advance(2_000);
    expect(tag.state).to.equal("running");
    expect(tag.resets.map((r) => r.reason)).to.deep.equal(["power-on", "watchdog"]);
    // The clock continued from its last read (setTime, 10 s before the reset): those seconds are lost.
    expect(lines(tag)[1]).to.equal("boot 1000");
  });

  it("resets a tag that stops kicking in manual mode, not one that kicks", () => {
    const { tag, scheduler } = tagWith(`
      E.enableWatchdog(5, false);
      var kicks = require("Storage").read("stop") ? 0 : 1000;
      setInterval(function () { if (kicks-- > 0) E.kickWatchdog(); }, 1000);
    `);
    scheduler.advance(30_000);
    expect(tag.resets).to.have.length(1);
    tag.storage.write("stop", "1");
    tag.reboot(); // the WDT keeps running through a soft reset; this boot stops kicking
    scheduler.advance(6_000);
    expect(tag.resets.map((r) => r.reason)).to.deep.equal(["power-on", "reboot", "watchdog"]);
  });
});

describe("HostTag pins: LEDs, pulses, button watches", () => {
  it("drives LEDs with Pin methods, digitalWrite arrays and digitalPulse (queued pulses skip their first edge)", () => {
    const { tag, scheduler } = tagWith(`
      LED1.set(); digitalWrite([LED3, LED2], 2);
      print(digitalRead([LED3, LED2, LED1]));
      digitalPulse(LED2, 1, [100, 50, 100]);
      digitalPulse(LED2, 1, 100);
    `);
    expect(tag.outputText()).to.equal("5");
    expect([tag.led(1), tag.led(2), tag.led(3)]).to.deep.equal([true, true, true]);
    const led2: boolean[] = [];
    for (const t of [120, 200, 300, 400]) {
      scheduler.runUntil(t);
      led2.push(tag.led(2));
    }
    expect(led2).to.deep.equal([false, true, false, false]);
    expect(tag.power.level("leds")).to.equal(2 * 1500);
  });

  it("debounces button watches and reports the edge time", () => {
    const { tag, scheduler } = tagWith(`
      setTime(100);
      setWatch(function (e) { print("press", e.state, e.time, e.lastTime); }, BTN1, { repeat: true, edge: "rising", debounce: 50 });
      setWatch(function (e) { print("once"); }, BTN1, { edge: "falling", debounce: 0 });
    `);
    scheduler.advance(1000);
    tag.pressButton(30); // shorter than the debounce: ignored by the first watch
    scheduler.advance(1000);
    tag.pressButton(200);
    scheduler.advance(1000);
    tag.pressButton(200);
    scheduler.advance(1000);
    expect(lines(tag)).to.deep.equal(["once", "press true 102 undefined", "press true 103 102.2"]);
    expect(() => tag.evaluate("clearWatch(2)")).to.throw("Unknown Watch 2"); // the one-shot watch removed itself
  });
});

describe("HostTag board profiles", () => {
  it("has E.getBattery, three LEDs and AES on Puck.js; none of them on MDBT42Q", () => {
    const puck = tagWith(`print(typeof E.getBattery, E.getBattery(), typeof LED3, typeof require("crypto").AES);`).tag;
    expect(lines(puck)).to.deep.equal(["function 100 object object"]);
    const mdbt = tagWith(`print(typeof E.getBattery, typeof LED2, typeof LED3, typeof require("crypto").AES, NRF.getBattery());`, { board: "MDBT42Q" }).tag;
    expect(lines(mdbt)).to.deep.equal(["undefined object undefined undefined 3"]);
    const band = tagWith(`print(typeof VIBRATE, typeof LED2); digitalPulse(VIBRATE, 1, 300);`, { board: "BAND" }).tag;
    expect(lines(band)).to.deep.equal(["object undefined"]);
    expect(band.motorOn()).to.equal(true);
  });
});

describe("HostTag memory estimate (process.memory)", () => {
  it("grows with what the program keeps, including closure state, and counts flash-resident code cheaply", () => {
    const { tag } = tagWith(`
      var counter = (function () { var hidden = []; return function () { hidden.push(new Uint8Array(64)); return hidden.length; }; })();
      function usage() { return process.memory().usage; }
    `);
    const before = tag.evaluate("usage()") as number;
    tag.evaluate("counter(); counter(); counter(); counter(); counter(); counter(); counter(); counter(); counter(); counter();");
    const after = tag.evaluate("usage()") as number;
    // 10 typed arrays of 64 bytes: each 1 + ArrayBuffer 1 + 1 + ceil(64/13)=5, plus an index name.
    expect(after - before).to.equal(10 * (1 + 1 + 1 + 5 + 1));
    const report = tag.memory();
    expect(report.total).to.equal(2630);
    expect(report.free).to.equal(2630 - report.usage);
    // Code typed at the REPL is held in RAM, code from .bootcde in flash.
    const ramFunction = tag.evaluate("usage2 = function () { return 'a fairly long function body to count in RAM'; }; process.memory().usage") as number;
    expect(ramFunction - after).to.be.greaterThan(4);
  });
});
