/**
 * A tag's battery: a capacity drained by the power meter's charge, and the open-circuit voltage that
 * `NRF.getBattery()` reads and `E.getBattery()` turns into percent (per board).
 */
import type { DischargeCurve } from "./boards";
import type { PowerMeter } from "./power";

const MICROCOULOMBS_PER_MAH = 3.6e6;

/** The cell in one tag. */
export class Battery {
  /** Meter reading when this cell went in. */
  private chargeAtInsert: number;

  constructor(private readonly meter: PowerMeter, readonly capacityMah: number, private readonly curve: DischargeCurve) {
    this.chargeAtInsert = meter.lifetimeCharge();
  }

  /** A fresh cell goes in now. */
  replace(): void {
    this.chargeAtInsert = this.meter.lifetimeCharge();
  }

  /** Fraction of the capacity used (0 fresh, 1 empty). */
  depthOfDischarge(): number {
    const used = (this.meter.lifetimeCharge() - this.chargeAtInsert) / MICROCOULOMBS_PER_MAH;
    return Math.min(1, used / this.capacityMah);
  }

  /** Whether the cell can no longer run the tag. */
  isFlat(): boolean {
    return this.depthOfDischarge() >= 1;
  }

  /** Terminal voltage now. */
  volts(): number {
    const depth = this.depthOfDischarge();
    const curve = this.curve;
    for (let i = 1; i < curve.length; i++) {
      const [d1, v1] = curve[i]!;
      const [d0, v0] = curve[i - 1]!;
      if (depth <= d1) return v0 + ((v1 - v0) * (depth - d0)) / (d1 - d0);
    }
    return curve[curve.length - 1]![1];
  }
}
