import { expect } from "chai";
import { CALLBACK_CPU_MS, CPU_UA } from "../../sim/espruino/power";
import { Scheduler } from "../../sim/espruino/scheduler";
import { HostTag, type HostTagOptions } from "../../sim/espruino/tag";

const HOUR_MS = 3_600_000;

/** Runs `source` on a fresh tag for an hour and returns the power report. */
function hourOf(source: string, options: Partial<HostTagOptions> = {}): { report: ReturnType<HostTag["power"]["report"]>; tag: HostTag } {
  const scheduler = new Scheduler();
  const tag = new HostTag({ scheduler, seed: "power", ...options });
  tag.flash(source);
  tag.boot();
  tag.power.reset();
  scheduler.advance(HOUR_MS);
  return { report: tag.power.report(), tag };
}

describe("Power accounting (DESIGN.md figures)", () => {
  it("non-connectable advertising every 375 ms alone averages 22 µA", () => {
    const { report } = hourOf(`NRF.setAdvertising({}, { connectable: false, scannable: false });`);
    expect(report.elapsedSeconds).to.equal(3600);
    expect(report.averageMicroAmps).to.be.closeTo(22, 0.05);
    expect(report.breakdown.base).to.equal(12);
    expect(report.breakdown.advertising).to.be.closeTo(10, 0.01);
  });

  it("connectable advertising every 375 ms (Espruino's default) averages 40 µA", () => {
    const { report } = hourOf(`// default advertising`);
    expect(report.averageMicroAmps).to.be.closeTo(40, 0.05);
  });

  it("charges advertising per event: a 1 s interval costs about a third of 375 ms", () => {
    const { report } = hourOf(`NRF.setAdvertising({}, { connectable: false, scannable: false, interval: 1000 });`);
    expect(report.breakdown.advertising).to.be.closeTo((10 * 0.38) / 1.005, 0.01);
  });

  it("radio off (NRF.sleep) is 3 µA", () => {
    const { report } = hourOf(`NRF.sleep();`);
    expect(report.averageMicroAmps).to.be.closeTo(3, 1e-9);
  });

  it("scanning costs 12 mA times the window/interval duty", () => {
    const { report } = hourOf(`NRF.sleep(); NRF.setScan(function () {}, { interval: 1000, window: 20 });`);
    expect(report.breakdown.scanning).to.be.closeTo(12000 * 0.02, 1e-6);
    expect(report.averageMicroAmps).to.be.closeTo(3 + 240, 1e-6);
  });

  it("charges modelled CPU time per callback (4 mA × 2 ms each)", () => {
    const { report } = hourOf(`NRF.sleep(); setInterval(function () {}, 1000);`);
    expect(report.breakdown.cpu).to.be.closeTo((3600 * CALLBACK_CPU_MS * CPU_UA) / 1000 / 3600, 1e-9);
  });

  it("charges LEDs while lit and a hung CPU at 4 mA", () => {
    const { report } = hourOf(`NRF.sleep(); LED1.set();`);
    expect(report.breakdown.leds).to.equal(1500);
    const scheduler = new Scheduler();
    const tag = new HostTag({ scheduler, seed: 1 });
    tag.flash("NRF.sleep();");
    tag.boot();
    tag.hang();
    tag.power.reset();
    scheduler.advance(1000);
    expect(tag.power.report().breakdown.cpu).to.equal(4000);
  });

  it("draws the battery down and stops the tag when it is flat", () => {
    const { tag } = hourOf(`setInterval(function () {}, 1000); LED1.set();`, { batteryMah: 1 });
    expect(tag.battery.depthOfDischarge()).to.equal(1);
    expect(tag.state).to.equal("off");
    expect(tag.outputText()).to.equal("Battery flat");
    expect(tag.power.report().breakdown.leds).to.be.lessThan(1500); // nothing drawn after the end
  });

  it("reports E.getBattery falling with the CR2032 curve only near the end of its life", () => {
    const scheduler = new Scheduler();
    const tag = new HostTag({ scheduler, seed: 2, batteryMah: 0.05 });
    tag.flash("LED1.set();"); // 1.5 mA + 40 µA: 0.05 mAh lasts ~117 s
    tag.boot();
    const percents: number[] = [];
    for (let i = 0; i < 12; i++) {
      percents.push(tag.evaluate("E.getBattery()") as number);
      scheduler.advance(10_000);
    }
    expect(percents[0]).to.equal(100);
    expect(percents.slice(0, 8).every((p) => p === 100)).to.equal(true);
    expect(percents[percents.length - 1]).to.be.lessThan(60);
  });
});
