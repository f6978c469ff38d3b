import { expect } from "chai";
import { TagClock } from "../../sim/espruino/clock";
import { Scheduler } from "../../sim/espruino/scheduler";

describe("Scheduler (virtual world time)", () => {
  it("runs events in time order, ties in the order they were scheduled", () => {
    const s = new Scheduler();
    const seen: string[] = [];
    s.at(30, () => seen.push("c"));
    s.at(10, () => seen.push("a1"));
    s.at(20, () => seen.push("b"));
    s.at(10, () => seen.push("a2"));
    s.at(10, () => seen.push("a3"));
    s.runUntil(25);
    expect(seen).to.deep.equal(["a1", "a2", "a3", "b"]);
    expect(s.now()).to.equal(25);
    s.advance(5);
    expect(seen).to.deep.equal(["a1", "a2", "a3", "b", "c"]);
    expect(s.now()).to.equal(30);
  });

  it("sets the clock to each event's time while it runs, and runs events scheduled meanwhile", () => {
    const s = new Scheduler();
    const times: number[] = [];
    const tick = (): void => {
      times.push(s.now());
      if (times.length < 5) s.after(100, tick);
    };
    s.at(50, tick);
    s.runUntil(1000);
    expect(times).to.deep.equal([50, 150, 250, 350, 450]);
  });

  it("cancels events and never schedules into the past", () => {
    const s = new Scheduler();
    const seen: number[] = [];
    const e = s.at(10, () => seen.push(1));
    s.at(20, () => seen.push(2));
    s.cancel(e);
    s.runUntil(15);
    s.at(5, () => seen.push(3)); // in the past: runs at "now"
    expect(s.nextTime()).to.equal(15);
    s.runUntil(100);
    expect(seen).to.deep.equal([3, 2]);
  });

  it("keeps a large random workload in order", () => {
    const s = new Scheduler();
    let x = 12345;
    const rnd = (): number => ((x = (x * 1103515245 + 12345) >>> 0) % 100000);
    let last = -1;
    let ok = true;
    for (let i = 0; i < 5000; i++) s.at(rnd(), () => { if (s.now() < last) ok = false; last = s.now(); });
    s.runUntil(100000);
    expect(ok).to.equal(true);
    expect(s.nextTime()).to.equal(null);
  });
});

describe("TagClock (nRF52 RTC as Espruino keeps it)", () => {
  it("reads seconds from world time plus the offset set by setTime", () => {
    const s = new Scheduler();
    const c = new TagClock(s);
    s.advance(1500);
    expect(c.getTime()).to.equal(1.5);
    c.setTime(1_700_000_000);
    s.advance(250);
    expect(c.getTime()).to.be.closeTo(1_700_000_000.25, 1e-6);
  });

  it("drifts by the crystal's ppm error", () => {
    const s = new Scheduler();
    const c = new TagClock(s, 20);
    c.setTime(0);
    s.advance(86_400_000);
    expect(c.getTime() - 86_400).to.be.closeTo(1.728, 1e-6); // 20 ppm of a day
    expect(c.worldDuration(1_000_020)).to.be.closeTo(1_000_000, 1e-6);
  });

  it("keeps time across a soft reset, minus what passed since the clock was last read", () => {
    const s = new Scheduler();
    const c = new TagClock(s);
    c.setTime(1000);
    s.advance(4000);
    expect(c.getTime()).to.equal(1004); // last read here
    s.advance(10_000); // e.g. a hung tag until the watchdog fires
    c.softReset();
    expect(c.getTime()).to.equal(1004);
    s.advance(1000);
    expect(c.getTime()).to.equal(1005);
  });

  it("restarts at 1970 after a power loss", () => {
    const s = new Scheduler();
    const c = new TagClock(s);
    c.setTime(1_700_000_000);
    s.advance(60_000);
    c.powerOn();
    expect(c.getTime()).to.equal(0);
    s.advance(2000);
    expect(c.getTime()).to.equal(2);
  });
});
