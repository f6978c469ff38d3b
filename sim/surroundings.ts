/**
 * Who is near whom: the devices residents carry, where the world's occupancy puts them now, and radios
 * fixed in places. The tag engine (main thread) and the phone scans (their worker) each keep one.
 */
import { AirDevice, audible, Audible, AudibleSet, Radio } from "./radio";
import { AWAY, Occupancy, World } from "./world";

/** Residents and fixtures around receivers, following the world's clock. */
export class Surroundings {
  private readonly occupancy: Occupancy;
  private readonly fixturesByPlace = new Map<number, AirDevice[]>();
  private readonly fixtureSpots = new Map<AirDevice, number>();
  private readonly near: AirDevice[] = []; // reused: callers read it at once and keep nothing of it
  private readonly audibleParts = new Map<AirDevice, { rxSegment: number; parts: Map<number, { version: number; audible: Audible[] }>; all: Audible[] | null }>();

  constructor(
    world: World,
    private readonly radio: Radio,
    /** The devices each resident carries. */
    private readonly byResident: readonly (readonly AirDevice[])[]
  ) {
    this.occupancy = new Occupancy(world);
  }

  /** A radio that stays at `spot` (Radio.addFixture) in `place`. */
  addFixture(device: AirDevice, place: number, spot: number): void {
    const list = this.fixturesByPlace.get(place);
    if (list) list.push(device);
    else this.fixturesByPlace.set(place, [device]);
    this.fixtureSpots.set(device, spot);
  }

  /** Where a device is at the time last moved to: its wearer's track segment, or its fixture's spot. */
  readonly spotOf = (device: AirDevice): number => (device.resident < 0 ? this.fixtureSpots.get(device)! : this.occupancy.segment[device.resident]!);

  /** Devices that may be heard at `place` at world time `ms`: those carried in places within range, and fixtures there. */
  devicesNear(place: number, ms: number): readonly AirDevice[] {
    this.occupancy.advanceTo(ms / 1000);
    this.near.length = 0;
    if (place === AWAY) return this.near;
    for (const p of this.radio.placesNear(place)) this.collect(p.place);
    return this.near;
  }

  /**
   * Who `receiver` could hear at all at world time `ms`, place by place. Each place's part is kept per
   * receiver and reused while the receiver and everyone in that place stay put (all night long, for most):
   * a scan then only asks the senders what they have on air. The list returned is shared: read it, keep it
   * unchanged.
   */
  audibleAt(receiver: AirDevice, ms: number): AudibleSet {
    this.occupancy.advanceTo(ms / 1000);
    const rxSegment = this.spotOf(receiver);
    const place = this.radio.placeOf(rxSegment);
    if (place === AWAY) return { rxSegment, audible: [] };
    let kept = this.audibleParts.get(receiver);
    if (!kept || kept.rxSegment !== rxSegment) this.audibleParts.set(receiver, (kept = { rxSegment, parts: new Map(), all: null }));
    const placesNear = this.radio.placesNear(place);
    for (const p of placesNear) {
      const version = this.occupancy.version[p.place]!;
      const part = kept.parts.get(p.place);
      if (!part || part.version !== version) {
        this.near.length = 0;
        this.collect(p.place);
        kept.parts.set(p.place, { version, audible: audible(this.radio, receiver, this.near, this.spotOf).audible });
        kept.all = null;
      }
    }
    if (!kept.all) {
      kept.all = [];
      for (const p of placesNear) for (const a of kept.parts.get(p.place)!.audible) kept.all.push(a);
    }
    return { rxSegment, audible: kept.all };
  }

  /** Adds the devices in `place` now to `near`. */
  private collect(place: number): void {
    for (const r of this.occupancy.occupants[place]!) for (const d of this.byResident[r]!) this.near.push(d);
    const fixed = this.fixturesByPlace.get(place);
    if (fixed) for (const d of fixed) this.near.push(d);
  }
}
