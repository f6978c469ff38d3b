/**
 * What the wearer sees and feels, through the compiled firmware: a short green blink about once a minute
 * while working, red while the clock is unknown, a long green (or a red code) on a button press, and the
 * exposure alert's blue triple blink with a buzz on the band.
 */
import { expect } from "chai";
import type { HostTag } from "../../sim/espruino/tag";
import { bootTag, expectNoErrors, firmwareBundle, Firmware, HEARTBEAT_MS, newWorld, Pulse, recordLights } from "./harness";

/** 2024-03-18T10:00:00Z. */
const START_S = 19800 * 86400 + 10 * 3600;
/** Light samples are taken this often (ms), so durations are known to this step. */
const STEP_MS = 5;

/** Pulses as [output, duration rounded to the sampling step]. */
function shapes(pulses: Pulse[]): [string, number][] {
  return pulses.map((p) => [p.output, Math.round(p.ms / STEP_MS) * STEP_MS]);
}

/** Presses the button `atMs` (between two heartbeats) and returns what lights up in the next 3 s. */
function pressAt(tag: HostTag, atMs: number): Pulse[] {
  tag.scheduler.runUntil(atMs);
  tag.pressButton(150);
  return recordLights(tag, atMs + 3000, STEP_MS);
}

describe("firmware: feedback for the wearer", function () {
  let firmware: Firmware;
  before(async () => {
    firmware = await firmwareBundle();
  });

  it("blinks green (30 ms) once a minute while working, and nothing else", () => {
    const world = newWorld(START_S);
    const tag = bootTag(world, firmware, { time: START_S });
    const pulses = recordLights(tag, world.now() + 10 * HEARTBEAT_MS + 1000, STEP_MS);
    expect(shapes(pulses)).to.deep.equal(Array(10).fill(["LED2", 30]));
    for (let i = 1; i < pulses.length; i++) expect(pulses[i]!.start - pulses[i - 1]!.start, "period").to.be.closeTo(HEARTBEAT_MS, STEP_MS);
    expectNoErrors(tag);
  });

  it("blinks red once a minute while its clock is unknown", () => {
    const world = newWorld(START_S);
    const tag = bootTag(world, firmware);
    const pulses = recordLights(tag, world.now() + 3 * HEARTBEAT_MS + 1000, STEP_MS);
    expect(shapes(pulses)).to.deep.equal(Array(3).fill(["LED1", 30]));
    expectNoErrors(tag);
  });

  it("answers a button press with one long green light when all is well", () => {
    const world = newWorld(START_S);
    const tag = bootTag(world, firmware, { time: START_S });
    expect(shapes(pressAt(tag, world.now() + 20_000))).to.deep.equal([["LED2", 1000]]);
    expectNoErrors(tag);
  });

  it("answers a button press with the red code 2 (two blinks) when the clock is unknown", () => {
    const world = newWorld(START_S);
    const tag = bootTag(world, firmware);
    expect(shapes(pressAt(tag, world.now() + 20_000))).to.deep.equal([
      ["LED1", 300],
      ["LED1", 300],
    ]);
    expectNoErrors(tag);
  });

  it("shows an exposure alert as a blue triple blink each minute, with a buzz on the band", () => {
    const triple = (output: string) => Array(3).fill([output, 150]);
    // Puck.js: LED3 is blue, no motor.
    const puckWorld = newWorld(START_S);
    const puck = bootTag(puckWorld, firmware, { time: START_S, alert: true });
    expect(shapes(recordLights(puck, puckWorld.now() + 2 * HEARTBEAT_MS + 1000, STEP_MS))).to.deep.equal([...triple("LED3"), ...triple("LED3")]);
    // The band: its one LED shows blue, and the motor buzzes with it.
    const world = newWorld(START_S);
    const band = bootTag(world, firmware, { board: "BAND", time: START_S, alert: true });
    const bandPulses = shapes(recordLights(band, world.now() + 2 * HEARTBEAT_MS + 1000, STEP_MS));
    expect(bandPulses.filter(([output]) => output === "LED1")).to.deep.equal([...triple("LED1"), ...triple("LED1")]);
    expect(bandPulses.filter(([output]) => output === "motor")).to.deep.equal([...triple("motor"), ...triple("motor")]);

    // A button press shows the alert too: three long blue lights and buzzes.
    const press = shapes(pressAt(band, world.now() + 20_000));
    expect(press.filter(([output]) => output === "LED1")).to.deep.equal(Array(3).fill(["LED1", 400]));
    expect(press.filter(([output]) => output === "motor")).to.deep.equal(Array(3).fill(["motor", 400]));
    expectNoErrors(puck, band);
  });
});
