/**
 * The virtual commune: places with positions and walls, residents with what they carry, and where each
 * resident stands at every moment of the run.
 *
 * - Households live in rows of row houses that share their side walls (so neighbours are a wall apart);
 *   the market, pagoda, health station and commune hall stand beside the rows.
 * - Each resident gets a plan per local day (work or school away from the commune's places, market
 *   mornings, the pagoda on lunar 1st/15th, health-station visits, the commune hall on collection days,
 *   a neighbour's house in the afternoon) and is at home otherwise; the elderly work away rarely, so they
 *   stay near home.
 * - Within a place a person stands at a random spot around one of its gathering points, facing a random
 *   way, and moves to another spot after an exponential dwell; at night everyone lies at the home's
 *   sleeping place until morning.
 * Positions are piecewise constant: a resident's track is a list of segments (place, x, y, heading, from,
 * until), built once from the seed and shared by the radio and the ground truth.
 */
import { Random } from "./random";
import { AGE_GROUPS, AgeGroup, MAX_HOUSEHOLD_SIZE, Outing, PUBLIC_PLACE_KINDS, PlaceSpec, PublicPlaceKind, Scenario } from "./scenario";

/** Seconds in a day. */
export const DAY_S = 86400;
/** Mean synodic month, days (Meeus, Astronomical Algorithms, ch. 49). */
export const SYNODIC_MONTH_DAYS = 29.530588853;
/** A mean new moon: 2000-01-06 18:14 UTC (Meeus, ch. 49, k = 0), Unix seconds. */
export const REFERENCE_NEW_MOON_S = Date.UTC(2000, 0, 6, 18, 14) / 1000;
/** People keep at least this far from walls, m. */
const WALL_MARGIN_M = 0.3;
/** Shortest stay at one spot, s. */
const MIN_DWELL_S = 60;
/** Gap between the house rows and the public places, m. */
const PUBLIC_GAP_M = 12;
/** Place index of "away": outside every modelled place (fields, school, town); no radio, no contacts. */
export const AWAY = -1;

/** Kinds of place. */
export type PlaceKind = "household" | PublicPlaceKind;

/** A place on the commune's map (x to the east, y to the north, metres; the rectangle's south-west corner). */
export interface Place {
  index: number;
  kind: PlaceKind;
  name: string;
  x: number;
  y: number;
  spec: PlaceSpec;
  /** Gathering points inside, absolute coordinates. */
  anchors: { x: number; y: number }[];
  /** For households: row and position in the row. */
  row: number;
  door: number;
  /** Staff sync tags here (the commune hall, the health station). */
  collectionPoint: boolean;
}

/** A straight wall, from (x1, y1) to (x2, y2). */
export interface Wall {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** What a resident carries. */
export interface Devices {
  tag: boolean;
  phone: "gaen" | "bluezone" | null;
  /** Owns a smartphone (with or without an exposure app). */
  smartphone: boolean;
}

/** One resident. */
export interface Resident {
  index: number;
  age: AgeGroup;
  household: number;
  devices: Devices;
  /** Keeps a market stall on market days. */
  vendor: boolean;
}

/** One planned stay away from home, Unix seconds. */
export interface Stay {
  place: number;
  start: number;
  end: number;
  kind: PlaceKind | "away";
}

/**
 * Every resident's track as columns: segment i is resident `resident[i]` at `place[i]` (AWAY for away),
 * at (x[i], y[i]) facing `heading[i]` (radians) from `start[i]` until `end[i]` (Unix s). A resident's
 * segments are contiguous, in time order, and cover the whole run.
 */
export interface Tracks {
  count: number;
  resident: Int32Array;
  place: Int32Array;
  start: Float64Array;
  end: Float64Array;
  x: Float64Array;
  y: Float64Array;
  heading: Float64Array;
  /** Segments of resident r: first[r] .. first[r + 1] - 1. */
  first: Int32Array;
}

/** The whole world of one run. */
export interface World {
  scenario: Scenario;
  /** Run start and end, Unix s (UTC midnight of the start date; start + days). */
  start: number;
  end: number;
  places: Place[];
  walls: Wall[];
  residents: Resident[];
  tracks: Tracks;
}

/** UTC midnight of a "YYYY-MM-DD" date, Unix s. */
export function utcMidnight(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / 1000;
}

/**
 * Day of the lunar month (1..30) of a local date, from the mean new moon: the day that holds the new moon
 * (in local time) is the 1st. The true new moon strays up to about 14 h from the mean one, so a
 * ceremony may land a day off the printed calendar; that is enough for a schedule.
 */
export function lunarDay(localMidnightUtc: number, utcOffsetHours: number): number {
  const localDayIndex = (t: number) => Math.floor((t + utcOffsetHours * 3600) / DAY_S);
  const today = localDayIndex(localMidnightUtc);
  const month = SYNODIC_MONTH_DAYS * DAY_S;
  const k = Math.floor((localMidnightUtc + DAY_S - REFERENCE_NEW_MOON_S) / month);
  let newMoonDay = localDayIndex(REFERENCE_NEW_MOON_S + k * month);
  if (newMoonDay > today) newMoonDay = localDayIndex(REFERENCE_NEW_MOON_S + (k - 1) * month);
  return today - newMoonDay + 1;
}

/** Day of the week (0 = Sunday) of a local date given by its local midnight in UTC seconds. */
export function weekday(localMidnightUtc: number, utcOffsetHours: number): number {
  return new Date((localMidnightUtc + utcOffsetHours * 3600) * 1000).getUTCDay();
}

/** Gathering points of a place: a grid over its floor, one point per cell centre. */
function anchorGrid(x: number, y: number, spec: PlaceSpec): { x: number; y: number }[] {
  const columns = Math.max(1, Math.round(Math.sqrt((spec.anchors * spec.widthM) / spec.depthM)));
  const rows = Math.ceil(spec.anchors / columns);
  const out: { x: number; y: number }[] = [];
  for (let i = 0; i < spec.anchors; i++) {
    const c = i % columns;
    const r = Math.floor(i / columns);
    out.push({ x: x + ((c + 0.5) * spec.widthM) / columns, y: y + ((r + 0.5) * spec.depthM) / rows });
  }
  return out;
}

/** The four walls of a rectangle. */
function rectangleWalls(x: number, y: number, w: number, d: number): Wall[] {
  return [
    { x1: x, y1: y, x2: x + w, y2: y },
    { x1: x, y1: y + d, x2: x + w, y2: y + d },
    { x1: x, y1: y, x2: x, y2: y + d },
    { x1: x + w, y1: y, x2: x + w, y2: y + d },
  ];
}

/** Household sizes (1..6) drawn until they hold `residents` people (the last household takes the rest). */
function householdSizes(scenario: Scenario, random: Random): number[] {
  const sizes: number[] = [];
  let left = scenario.residents;
  while (left > 0) {
    const size = Math.min(left, 1 + random.weighted(scenario.households.sizeWeights));
    sizes.push(size);
    left -= size;
  }
  return sizes;
}

/** Places and walls: rows of row houses, then the public places in a column east of them. */
function layout(scenario: Scenario, households: number): { places: Place[]; walls: Wall[] } {
  const h = scenario.households;
  const places: Place[] = [];
  const walls: Wall[] = [];
  const rows = Math.ceil(households / h.housesPerRow);
  for (let i = 0; i < households; i++) {
    const row = Math.floor(i / h.housesPerRow);
    const door = i % h.housesPerRow;
    const x = door * h.house.widthM;
    const y = row * (h.house.depthM + h.laneWidthM);
    places.push({ index: i, kind: "household", name: `house ${row + 1}-${door + 1}`, x, y, spec: h.house, anchors: anchorGrid(x, y, h.house), row, door, collectionPoint: false });
  }
  for (let row = 0; row < rows; row++) {
    const housesInRow = Math.min(h.housesPerRow, households - row * h.housesPerRow);
    const y = row * (h.house.depthM + h.laneWidthM);
    const length = housesInRow * h.house.widthM;
    walls.push({ x1: 0, y1: y, x2: length, y2: y }, { x1: 0, y1: y + h.house.depthM, x2: length, y2: y + h.house.depthM });
    for (let door = 0; door <= housesInRow; door++) {
      const x = door * h.house.widthM;
      walls.push({ x1: x, y1: y, x2: x, y2: y + h.house.depthM }); // a side wall shared by two neighbours
    }
  }
  const east = h.housesPerRow * h.house.widthM + PUBLIC_GAP_M;
  const villageDepth = rows * (h.house.depthM + h.laneWidthM);
  // The market faces the middle of the village; the others follow northwards, a lane apart.
  let y = Math.max(0, villageDepth / 2 - scenario.places.market.depthM / 2);
  for (const kind of PUBLIC_PLACE_KINDS) {
    const spec = scenario.places[kind];
    const index = places.length;
    const names: Record<PublicPlaceKind, string> = { market: "market", pagoda: "pagoda", healthStation: "health station", communeHall: "commune hall" };
    places.push({ index, kind, name: names[kind], x: east, y, spec, anchors: anchorGrid(east, y, spec), row: -1, door: -1, collectionPoint: kind === "communeHall" || kind === "healthStation" });
    if (spec.walls) walls.push(...rectangleWalls(east, y, spec.widthM, spec.depthM));
    y += spec.depthM + h.laneWidthM;
  }
  return { places, walls };
}

/** Ages per household: drawn from the age shares, with at least one adult or elderly person in each. */
function residentsOf(scenario: Scenario, sizes: number[], random: Random): Resident[] {
  const residents: Resident[] = [];
  const shares = AGE_GROUPS.map((g) => scenario.ageShares[g]);
  sizes.forEach((size, household) => {
    const ages: AgeGroup[] = Array.from({ length: size }, () => AGE_GROUPS[random.weighted(shares)]!);
    if (!ages.some((a) => a !== "child")) ages[0] = "adult";
    for (const age of ages) {
      residents.push({ index: residents.length, age, household, devices: { tag: false, phone: null, smartphone: false }, vendor: false });
    }
  });
  return residents;
}

/**
 * Who carries what. Smartphones by age; apps among smartphone owners so that the population shares match
 * adoption.gaen and adoption.bluezone; tags to residents without an app (by age share), or, with an exact
 * tag count, to residents without an app first (elderly first), then to the others.
 */
function assignDevices(scenario: Scenario, residents: Resident[], random: Random): void {
  const a = scenario.adoption;
  const phoneShare = AGE_GROUPS.reduce((s, g) => s + scenario.ageShares[g] * a.smartphone[g], 0);
  for (const r of residents) {
    r.devices.smartphone = random.chance(a.smartphone[r.age]);
    if (!r.devices.smartphone || phoneShare === 0) continue;
    const x = random.next() * phoneShare;
    r.devices.phone = x < a.gaen ? "gaen" : x < a.gaen + a.bluezone ? "bluezone" : null;
  }
  if (a.tagCount === null) {
    for (const r of residents) r.devices.tag = r.devices.phone === null && random.chance(a.tags[r.age]);
    return;
  }
  const rank = (r: Resident) => (r.devices.phone === null ? 0 : 3) + (r.age === "elderly" ? 0 : r.age === "adult" ? 1 : 2);
  const order = random.shuffle(residents.slice()).sort((p, q) => rank(p) - rank(q));
  for (let i = 0; i < a.tagCount; i++) order[i]!.devices.tag = true;
}

/** A local clock time (minutes after midnight) on a local day, Unix s. */
function at(localMidnight: number, minutes: number): number {
  return localMidnight + minutes * 60;
}

/** A stay for an outing: a start drawn in its window, a length in its range. */
function outingStay(o: Outing, place: number, kind: PlaceKind | "away", localMidnight: number, random: Random): Stay {
  const start = at(localMidnight, random.uniform(o.from, o.to));
  return { place, kind, start, end: start + random.uniform(o.minutes[0], o.minutes[1]) * 60 };
}

/**
 * One resident's stays away from home on one local day, in priority order (work or stall, collection,
 * health station, pagoda, market, neighbours); an outing that would overlap an earlier one is dropped.
 */
export function dayPlan(
  scenario: Scenario,
  world: { places: Place[]; residents: Resident[] },
  resident: Resident,
  localMidnight: number,
  random: Random
): Stay[] {
  const r = scenario.routine;
  const age = resident.age;
  const place = (kind: PublicPlaceKind) => world.places.find((p) => p.kind === kind)!.index;
  const dow = weekday(localMidnight, scenario.utcOffsetHours);
  const marketDay = r.market.daysOfWeek.includes(dow);
  const wanted: Stay[] = [];
  if (resident.vendor && marketDay) {
    wanted.push({ place: place("market"), kind: "market", start: at(localMidnight, r.market.opens), end: at(localMidnight, r.market.closes) });
  } else if (random.chance(r.work.probability[age])) {
    wanted.push(outingStay(r.work, AWAY, "away", localMidnight, random));
  }
  const collection = r.communeHall.collectionDays.includes(dow);
  if (collection && random.chance(resident.devices.tag ? r.communeHall.tagWearers : r.communeHall.probability[age])) {
    wanted.push(outingStay(r.communeHall, place("communeHall"), "communeHall", localMidnight, random));
  }
  if (random.chance(r.healthStation.probability[age])) {
    wanted.push(outingStay(r.healthStation, place("healthStation"), "healthStation", localMidnight, random));
  }
  const ceremony = r.pagoda.lunarDays.includes(lunarDay(localMidnight, scenario.utcOffsetHours));
  if (random.chance(ceremony ? r.pagoda.probability[age] : r.pagoda.otherDays[age])) {
    wanted.push(outingStay(r.pagoda, place("pagoda"), "pagoda", localMidnight, random));
  }
  if (marketDay && !resident.vendor && random.chance(r.market.probability[age])) {
    const stay = outingStay(r.market, place("market"), "market", localMidnight, random);
    stay.end = Math.min(stay.end, at(localMidnight, r.market.closes));
    if (stay.end > stay.start) wanted.push(stay);
  }
  if (random.chance(r.neighbours.probability[age])) {
    const home = world.places[resident.household]!;
    const neighbours = world.places.filter(
      (p) => p.kind === "household" && p.row === home.row && p.index !== home.index && Math.abs(p.door - home.door) <= r.neighbours.maxDoors
    );
    if (neighbours.length > 0) wanted.push(outingStay(r.neighbours, random.pick(neighbours).index, "household", localMidnight, random));
  }
  const kept: Stay[] = [];
  const dayStart = at(localMidnight, r.wakeUp);
  const dayEnd = at(localMidnight, r.bedTime);
  for (const s of wanted) {
    s.start = Math.max(s.start, dayStart);
    s.end = Math.min(s.end, dayEnd);
    if (s.end > s.start && kept.every((k) => s.end <= k.start || s.start >= k.end)) kept.push(s);
  }
  return kept.sort((p, q) => p.start - q.start);
}

/** Growable columns for the tracks. */
class TrackBuilder {
  resident: number[] = [];
  place: number[] = [];
  start: number[] = [];
  end: number[] = [];
  x: number[] = [];
  y: number[] = [];
  heading: number[] = [];

  push(resident: number, place: number, start: number, end: number, x: number, y: number, heading: number): void {
    this.resident.push(resident);
    this.place.push(place);
    this.start.push(start);
    this.end.push(end);
    this.x.push(x);
    this.y.push(y);
    this.heading.push(heading);
  }

  build(residents: number): Tracks {
    const first = new Int32Array(residents + 1);
    for (let i = this.resident.length - 1; i >= 0; i--) first[this.resident[i]!] = i;
    first[residents] = this.resident.length;
    return {
      count: this.resident.length,
      resident: Int32Array.from(this.resident),
      place: Int32Array.from(this.place),
      start: Float64Array.from(this.start),
      end: Float64Array.from(this.end),
      x: Float64Array.from(this.x),
      y: Float64Array.from(this.y),
      heading: Float64Array.from(this.heading),
      first,
    };
  }
}

/** A random spot around one of a place's gathering points, inside its walls. */
export function spotIn(place: Place, anchor: { x: number; y: number }, random: Random): { x: number; y: number } {
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi - WALL_MARGIN_M, Math.max(lo + WALL_MARGIN_M, v));
  return {
    x: clamp(random.normal(anchor.x, place.spec.spreadM), place.x, place.x + place.spec.widthM),
    y: clamp(random.normal(anchor.y, place.spec.spreadM), place.y, place.y + place.spec.depthM),
  };
}

/** Segments for one stay in a place: spots around random gathering points, moving after each dwell. */
function staySegments(out: TrackBuilder, resident: number, place: Place | null, from: number, until: number, random: Random): void {
  if (!place) {
    out.push(resident, AWAY, from, until, 0, 0, 0);
    return;
  }
  let t = from;
  while (t < until) {
    const next = Math.min(until, t + Math.max(MIN_DWELL_S, random.exponential(place.spec.dwellMinutes * 60)));
    const spot = spotIn(place, random.pick(place.anchors), random);
    out.push(resident, place.index, t, next, spot.x, spot.y, random.uniform(0, 2 * Math.PI));
    t = next;
  }
}

/**
 * A resident's whole track from `start` to `end`: the night at the home's sleeping place (its first
 * gathering point), the day's stays, home in between.
 */
function residentTrack(out: TrackBuilder, world: Omit<World, "tracks">, resident: Resident, random: Random): void {
  const s = world.scenario;
  const home = world.places[resident.household]!;
  const offset = s.utcOffsetHours * 3600;
  // Local days overlapping the run: from the one holding the run's first instant to the one holding its last.
  const firstLocal = Math.floor((world.start + offset) / DAY_S) * DAY_S - offset;
  let t = world.start;
  const emitHome = (until: number, dayRandom: Random, asleep: boolean) => {
    if (until <= t) return;
    if (asleep) {
      const spot = spotIn(home, home.anchors[0]!, dayRandom);
      out.push(resident.index, home.index, t, until, spot.x, spot.y, dayRandom.uniform(0, 2 * Math.PI));
    } else {
      staySegments(out, resident.index, home, t, until, dayRandom);
    }
    t = until;
  };
  for (let midnight = firstLocal; t < world.end; midnight += DAY_S) {
    const dayRandom = random.fork(`day${Math.round((midnight - firstLocal) / DAY_S)}`);
    const wake = Math.min(world.end, midnight + s.routine.wakeUp * 60);
    emitHome(wake, dayRandom, true);
    for (const stay of dayPlan(s, world, resident, midnight, dayRandom)) {
      emitHome(Math.min(world.end, stay.start), dayRandom, false);
      const until = Math.min(world.end, stay.end);
      if (until > t) {
        staySegments(out, resident.index, stay.place === AWAY ? null : world.places[stay.place]!, t, until, dayRandom);
        t = until;
      }
    }
    emitHome(Math.min(world.end, midnight + s.routine.bedTime * 60), dayRandom, false);
    emitHome(Math.min(world.end, midnight + DAY_S + s.routine.wakeUp * 60), dayRandom, true);
  }
}

/** Builds the world of a scenario from a seed. */
export function buildWorld(scenario: Scenario, random: Random): World {
  const sizes = householdSizes(scenario, random.fork("households"));
  if (sizes.some((s) => s > MAX_HOUSEHOLD_SIZE)) throw new Error("household larger than 6");
  const { places, walls } = layout(scenario, sizes.length);
  const residents = residentsOf(scenario, sizes, random.fork("ages"));
  assignDevices(scenario, residents, random.fork("devices"));
  const vendorRandom = random.fork("vendors");
  for (const r of residents) r.vendor = r.age === "adult" && vendorRandom.chance(scenario.routine.market.vendorShare);
  const start = utcMidnight(scenario.startDate);
  const base = { scenario, start, end: start + scenario.days * DAY_S, places, walls, residents };
  const builder = new TrackBuilder();
  const trackRandom = random.fork("tracks");
  for (const r of residents) residentTrack(builder, base, r, trackRandom.fork(r.index));
  return { ...base, tracks: builder.build(residents.length) };
}

/** Whether segment p–q crosses segment a–b (touching ends do not count). */
function crosses(px: number, py: number, qx: number, qy: number, w: Wall): boolean {
  const d1 = (w.x2 - w.x1) * (py - w.y1) - (w.y2 - w.y1) * (px - w.x1);
  const d2 = (w.x2 - w.x1) * (qy - w.y1) - (w.y2 - w.y1) * (qx - w.x1);
  const d3 = (qx - px) * (w.y1 - py) - (qy - py) * (w.x1 - px);
  const d4 = (qx - px) * (w.y2 - py) - (qy - py) * (w.x2 - px);
  return d1 * d2 < 0 && d3 * d4 < 0;
}

/** Number of walls a straight line from (x1, y1) to (x2, y2) passes through. */
export function wallsCrossed(walls: readonly Wall[], x1: number, y1: number, x2: number, y2: number): number {
  let n = 0;
  for (const w of walls) if (crosses(x1, y1, x2, y2, w)) n++;
  return n;
}

/** Centre of a place. */
export function centre(p: Place): { x: number; y: number } {
  return { x: p.x + p.spec.widthM / 2, y: p.y + p.spec.depthM / 2 };
}

/**
 * Walls between two places, counted once per pair on the line between their centres (people inside two
 * rooms see the walls between the rooms; counting per position would cost a wall scan per radio link).
 */
export function wallsBetweenPlaces(world: { places: Place[]; walls: Wall[] }): (a: number, b: number) => number {
  const cache = new Map<number, number>();
  const n = world.places.length;
  return (a, b) => {
    if (a === b) return 0;
    const key = a < b ? a * n + b : b * n + a;
    let walls = cache.get(key);
    if (walls === undefined) {
      const p = centre(world.places[a]!);
      const q = centre(world.places[b]!);
      walls = wallsCrossed(world.walls, p.x, p.y, q.x, q.y);
      cache.set(key, walls);
    }
    return walls;
  };
}

/** Shortest distance between two places' floors, m (0 for the same place). */
export function placeGap(a: Place, b: Place): number {
  const dx = Math.max(0, a.x - (b.x + b.spec.widthM), b.x - (a.x + a.spec.widthM));
  const dy = Math.max(0, a.y - (b.y + b.spec.depthM), b.y - (a.y + a.spec.depthM));
  return Math.hypot(dx, dy);
}

/**
 * Who is where, advanced through time: for each place the residents in it now, and each resident's
 * current segment. Moves forward only (the simulation clock never goes back); a heap of segment ends
 * makes each move cost O(log residents).
 */
export class Occupancy {
  /** Current segment of each resident. */
  readonly segment: Int32Array;
  /** Residents in each place now (unordered). */
  readonly occupants: number[][];
  /** Per place, a count that changes whenever someone arrives, leaves or moves there. */
  readonly version: Int32Array;
  private readonly slot: Int32Array;
  /** Min-heap of residents by the end of their current segment. */
  private readonly heap: Int32Array;
  private time: number;

  constructor(private readonly world: World) {
    const n = world.residents.length;
    this.segment = new Int32Array(n);
    this.slot = new Int32Array(n).fill(-1);
    this.heap = new Int32Array(n);
    this.occupants = world.places.map(() => []);
    this.version = new Int32Array(world.places.length);
    for (let r = 0; r < n; r++) {
      this.segment[r] = world.tracks.first[r]!;
      this.enter(r);
      this.heap[r] = r;
    }
    for (let i = (n >> 1) - 1; i >= 0; i--) this.siftDown(i);
    this.time = world.start;
  }

  /** Moves everyone to where they are at time `t` (Unix s, not before the last call). */
  advanceTo(t: number): void {
    if (t < this.time) throw new Error(`occupancy cannot go back from ${this.time} to ${t}`);
    this.time = t;
    const tracks = this.world.tracks;
    while (this.heap.length > 0 && tracks.end[this.segment[this.heap[0]!]!]! <= t) {
      const r = this.heap[0]!;
      const last = tracks.first[r + 1]! - 1;
      let s = this.segment[r]!;
      if (s === last) break; // the run's end: nobody moves after it
      this.leave(r);
      while (s < last && tracks.end[s]! <= t) s++;
      this.segment[r] = s;
      this.enter(r);
      this.siftDown(0);
    }
  }

  private endOf(heapIndex: number): number {
    return this.world.tracks.end[this.segment[this.heap[heapIndex]!]!]!;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) return;
      const right = left + 1;
      const child = right < n && this.endOf(right) < this.endOf(left) ? right : left;
      if (this.endOf(child) >= this.endOf(i)) return;
      const t = heap[i]!;
      heap[i] = heap[child]!;
      heap[child] = t;
      i = child;
    }
  }

  private enter(r: number): void {
    const place = this.world.tracks.place[this.segment[r]!]!;
    if (place === AWAY) return;
    this.version[place]!++;
    this.slot[r] = this.occupants[place]!.length;
    this.occupants[place]!.push(r);
  }

  private leave(r: number): void {
    const place = this.world.tracks.place[this.segment[r]!]!;
    if (place === AWAY) return;
    this.version[place]!++;
    const list = this.occupants[place]!;
    const i = this.slot[r]!;
    const moved = list.pop()!;
    if (moved !== r) {
      list[i] = moved;
      this.slot[moved] = i;
    }
    this.slot[r] = -1;
  }
}
